"""The VOT reset (supervised) protocol as pysot runs it, on the shared reset loop (`ResetRun` results).

A failure is a frame whose predicted box has zero overlap with the ground truth (VOT2016 and
pysot: `overlap <= 0`, polygons clipped to the image); the tracker is re-initialised from the
ground truth `skip` frames later (5 in VOT and pysot). The loop itself is
`metartt_tracker.results.track_with_resets`, shared with `evaluation.vot_protocol` (which judges
failures on vot-toolkit's rasterised overlap instead).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from metartt_tracker.overlap import region_overlap
from metartt_tracker.results import ResetRun, track_with_resets

from .regions import is_valid_box, region_to_box

__all__ = ['frame_size', 'run_reset_protocol']


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
    regions = np.asarray(regions, dtype=np.float64)
    if len(regions) != len(frames):
        raise ValueError(f'{name}: {len(regions)} ground-truth regions for {len(frames)} frames')

    def init_box_at(i: int) -> np.ndarray | None:
        box = init_box(regions[i]) if np.all(np.isfinite(regions[i])) else None
        return box if box is not None and is_valid_box(box) else None

    def failed(i: int, frame: Any, box: np.ndarray) -> bool:
        return region_overlap(box, regions[i], frame_size(frame)) <= failure_overlap  # NaN (not annotated): never

    return track_with_resets(tracker, frames, init_box_at, failed, name, skip)
