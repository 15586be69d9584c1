"""The VOT reset (supervised) protocol on top of the shared tracking loop.

A failure is a frame whose predicted box has zero overlap with the ground truth (VOT2016 and
pysot: `overlap <= 0`); the tracker is re-initialised from the ground truth `skip` frames later
(5 in VOT and pysot), and the frames in between are skipped. Each initialised stretch is one
`track_sequence` call, so boxes, scores and times come from the same loop every harness uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from metartt_tracker.results import SequenceResult, track_sequence

from .regions import is_valid_box, overlap, region_to_box


class FrameState(IntEnum):
    """Per-frame state; SKIPPED, INIT and FAILURE are the codes VOT/pysot result files use."""

    SKIPPED = 0
    INIT = 1
    FAILURE = 2
    TRACKED = 3  # written as the box itself


@dataclass
class ResetRun:
    """One reset-protocol run: the usual per-frame result plus the state of every frame."""

    result: SequenceResult  # boxes/scores/times; NaN on skipped frames, the given box on INIT frames
    states: np.ndarray  # FrameState per frame

    @property
    def failures(self) -> int:
        """Number of failures (re-initialisations requested)."""
        return int(np.sum(self.states == FrameState.FAILURE))


def frame_size(frame: Any) -> tuple[int, int]:
    """(width, height) of an RGB array or a PIL image."""
    if hasattr(frame, 'shape'):
        return int(frame.shape[1]), int(frame.shape[0])
    return tuple(frame.size)  # type: ignore[return-value]


def run_reset_protocol(tracker: Any, frames: Sequence[Any], regions: np.ndarray, name: str = '', skip: int = 5,
                       failure_overlap: float = 0.0,
                       init_box: Callable[[np.ndarray], np.ndarray] = region_to_box) -> ResetRun:
    """Track `frames` (indexable) under the reset protocol against ground-truth `regions` (N x 4 or N x 8).

    `init_box` turns a ground-truth region into the box given to `tracker.init` (pysot uses
    `regions.pysot_init_box`). Frames whose region cannot initialise (not annotated) are skipped
    until one can.
    """
    n = len(frames)
    regions = np.asarray(regions, dtype=np.float64)
    if len(regions) != n:
        raise ValueError(f'{name}: {len(regions)} ground-truth regions for {n} frames')
    boxes, scores, times = np.full((n, 4), np.nan), np.full(n, np.nan), np.full(n, np.nan)
    states = np.full(n, FrameState.SKIPPED, dtype=np.int64)
    start = 0
    while start < n:
        box = init_box(regions[start]) if np.all(np.isfinite(regions[start])) else np.full(4, np.nan)
        if not is_valid_box(box):
            start += 1
            continue
        seg, failed = _segment(tracker, frames, regions, start, box, name, failure_overlap)
        stop = start + len(seg.boxes)
        boxes[start:stop], scores[start:stop], times[start:stop] = seg.boxes, seg.scores, seg.times
        states[start], states[start + 1:stop] = FrameState.INIT, FrameState.TRACKED
        if failed is None:
            break
        states[failed] = FrameState.FAILURE
        start = failed + skip
    return ResetRun(SequenceResult(name, boxes, scores, times), states)


def _segment(tracker: Any, frames: Sequence[Any], regions: np.ndarray, start: int, box: np.ndarray, name: str,
             failure_overlap: float) -> tuple[SequenceResult, int | None]:
    """Track from `start` until the first failure (inclusive) or the end; returns the failure index."""
    failed: list[int] = []

    def check(k: int, frame: Any, predicted: np.ndarray, score: float, seconds: float) -> None:
        if k > 0 and overlap(predicted, regions[start + k], frame_size(frame)) <= failure_overlap:
            failed.append(start + k)

    def stretch() -> Iterator[Any]:
        for i in range(start, len(frames)):
            yield frames[i]
            if failed:
                return

    seg = track_sequence(tracker, stretch(), box, name, check)
    return seg, (failed[0] if failed else None)
