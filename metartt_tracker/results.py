"""One results model for every harness: `SequenceResult` (per-frame boxes, scores and times of one
tracked sequence) and `ResetRun` (one reset-based run: that result plus every frame's `FrameState`).

Every way of running the tracker (CLI, experiment runner, toolkit adapters) produces a
`SequenceResult` with `track_sequence` (a `ResetRun` with `track_with_resets`); small writers
turn it into a toolkit's file layout. The canonical on-disk layout is got10k's:
`<root>/<tracker>/<seq>/<seq>_001.txt` (comma-separated `x,y,w,h`, '%.3f') plus `<seq>_time.txt`
(seconds per frame, one column per repetition), to which we add `<seq>_001_confidence.value`
(tracker confidence, pysot/VOT's name, which got10k's report glob `<seq>_[0-9]*.txt` does not
pick up; 'nan' on initialisation frames).
Files are written atomically, boxes last, so a half-written result never looks complete.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import torch

from .device import synchronize
from .fileio import atomic_write


@dataclass
class SequenceResult:
    """What one run of a tracker on one sequence produced."""

    name: str  # sequence name
    boxes: np.ndarray  # (N, 4) x, y, w, h per frame, 0-based px; row 0 is the given box
    scores: np.ndarray  # (N,) tracker confidence in [0, 1] (`.confidence`); NaN where none (the initialisation frame)
    times: np.ndarray  # (N,) seconds spent in init / update for each frame (decoding excluded)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        self.times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        n = len(self.boxes)
        if len(self.scores) != n or len(self.times) != n:
            raise ValueError(f'{self.name}: {n} boxes but {len(self.scores)} scores and {len(self.times)} times')

    def fps(self, skip_first: bool = False) -> float:
        """Frames per second of tracking time, optionally without the first frame."""
        t = self.times[1:] if skip_first else self.times
        return float(len(t) / t.sum()) if len(t) and t.sum() > 0 else float('nan')


def _confidence(tracker: Any) -> float:
    """The tracker's confidence of its last update: `.confidence` (in [0, 1]) where it has one, else `.score`."""
    return float(getattr(tracker, 'confidence', getattr(tracker, 'score', float('nan'))))


def track_sequence(tracker: Any, frames: Iterable[Any], init_box: Any, name: str = '',
                   on_frame: Callable[[int, Any, np.ndarray, float, float], None] | None = None) -> SequenceResult:
    """Run `tracker.init` on the first frame and `tracker.update` on the rest, timing each call.

    `on_frame(i, frame, box, score, seconds)` is called after each frame (progress bars, videos). A tracker on a
    GPU (`.device`) is synchronised before the clock is read, so a frame's queued work counts in its own time.
    """
    boxes, scores, times = [], [], []
    device = getattr(tracker, 'device', None)
    wait = (lambda: synchronize(device)) if isinstance(device, torch.device) else (lambda: None)
    for i, frame in enumerate(frames):
        t0 = time.perf_counter()
        if i == 0:
            tracker.init(frame, init_box)
            box = np.asarray(init_box, dtype=np.float64)
        else:
            box = np.asarray(tracker.update(frame), dtype=np.float64)
        wait()
        times.append(time.perf_counter() - t0)
        boxes.append(box)
        scores.append(float('nan') if i == 0 else _confidence(tracker))
        if on_frame is not None:
            on_frame(i, frame, box, scores[-1], times[-1])
    return SequenceResult(name, np.array(boxes).reshape(-1, 4), np.array(scores), np.array(times))


class FrameState(IntEnum):
    """Per-frame state of a reset-based run; SKIPPED, INIT and FAILURE are VOT's / pysot's file codes."""

    SKIPPED = 0
    INIT = 1
    FAILURE = 2
    TRACKED = 3  # written as the box itself


@dataclass
class ResetRun:
    """One reset-based (supervised) run of one sequence: the per-frame result and every frame's `FrameState`.

    What `track_with_resets` returns, what VOT / pysot reset-based result files hold, and what the
    VOT metrics score once `overlaps` (per-frame overlap with the ground truth, NaN-free) is filled in.
    """

    result: SequenceResult  # NaN boxes / times on SKIPPED frames; the given box on INIT frames
    states: np.ndarray  # (N,) FrameState of every frame
    overlaps: np.ndarray | None = None  # (N,) overlaps with the ground truth (evaluation.metrics.with_vot_overlaps)

    def __post_init__(self) -> None:
        self.states = np.asarray(self.states, dtype=np.int64).reshape(-1)
        if len(self.states) != len(self.result.boxes):
            raise ValueError(f'{self.result.name}: {len(self.states)} frame states for {len(self.result.boxes)} frames')
        if self.overlaps is not None:
            self.overlaps = np.asarray(self.overlaps, dtype=np.float64).reshape(-1)

    @property
    def name(self) -> str:
        """The sequence's name."""
        return self.result.name

    @property
    def failures(self) -> int:
        """Number of failures (re-initialisations requested)."""
        return int(np.sum(self.states == FrameState.FAILURE))

    def tracked_boxes(self) -> np.ndarray:
        """The boxes of TRACKED frames, NaN on the others (what VOT's files keep)."""
        return np.where((self.states == FrameState.TRACKED)[:, None], self.result.boxes, np.nan)


def track_with_resets(tracker: Any, frames: Sequence[Any], init_box_at: Callable[[int], np.ndarray | None],
                      failed: Callable[[int, Any, np.ndarray], bool], name: str = '', skip: int = 5,
                      on_frame: Callable[[int, Any, np.ndarray, float, float], None] | None = None,
                      length: int | None = None) -> ResetRun:
    """VOT's reset-based (supervised) protocol on `track_sequence`, the single tracking loop.

    Each stretch starts at a frame where `init_box_at(i)` gives a box (None: not annotated, try the
    next frame) and runs until `failed(i, frame, box)` first holds; tracking resumes `skip` frames
    later (5 in VOT and pysot). Returns the run: the result (NaN on skipped frames, the given box on
    INIT frames) and the `FrameState` of every frame. `on_frame` gets the frame's index in the sequence;
    `length` runs only the first frames (the annotated ones of a longer video).
    """
    n = len(frames) if length is None else length
    boxes, scores, times = np.full((n, 4), np.nan), np.full(n, np.nan), np.full(n, np.nan)
    states = np.full(n, FrameState.SKIPPED, dtype=np.int64)
    start = 0
    while start < n:
        box = init_box_at(start)
        if box is None:
            start += 1
            continue
        failures: list[int] = []

        def stretch(first: int = start) -> Iterator[Any]:
            for i in range(first, n):
                if failures:
                    return
                yield frames[i]

        def check(k: int, frame: Any, predicted: np.ndarray, score: float, seconds: float, first: int = start) -> None:
            if on_frame is not None:
                on_frame(first + k, frame, predicted, score, seconds)
            if k > 0 and failed(first + k, frame, predicted):
                failures.append(first + k)

        seg = track_sequence(tracker, stretch(), box, name, check)
        span = slice(start, start + len(seg.boxes))
        boxes[span], scores[span], times[span] = seg.boxes, seg.scores, seg.times
        states[span], states[start] = FrameState.TRACKED, FrameState.INIT
        if not failures:
            break
        states[failures[0]] = FrameState.FAILURE
        start = failures[0] + skip
    return ResetRun(SequenceResult(name, boxes, scores, times), states)


def format_rows(values: np.ndarray, fmt: str = '%.3f', sep: str = ',') -> str:
    """Rows of numbers as text, one line per row ('nan' kept)."""
    values = np.atleast_2d(values)
    return ''.join(sep.join(fmt % v for v in row) + '\n' for row in values)


def format_reset_rows(states: np.ndarray, boxes: np.ndarray, fmt: str = '%.4f') -> str:
    """Reset-based run as VOT / pysot write it: the state code on INIT / FAILURE / SKIPPED frames, else the box."""
    return ''.join((','.join(fmt % v for v in box) if s == FrameState.TRACKED else '%d' % s) + '\n'
                   for s, box in zip(states, boxes))


def got10k_paths(root: str | os.PathLike, tracker: str, seq: str, repetition: int = 1) -> dict[str, Path]:
    """Where got10k keeps one repetition of one sequence (and our score file beside it)."""
    d = Path(root) / tracker / seq
    return {'boxes': d / f'{seq}_{repetition:03d}.txt', 'times': d / f'{seq}_time.txt',
            'scores': d / f'{seq}_{repetition:03d}_confidence.value'}


def write_got10k(result: SequenceResult, root: str | os.PathLike, tracker: str, repetition: int = 1) -> Path:
    """Write one repetition in got10k's layout; the boxes file goes last and marks completion."""
    p = got10k_paths(root, tracker, result.name, repetition)
    times = result.times[:, None]
    if p['times'].exists() and repetition > 1:
        old = np.loadtxt(p['times'], delimiter=',', ndmin=2)
        if old.shape[0] == len(times):
            cols = old[:, :repetition - 1]
            if cols.shape[1] < repetition - 1:
                cols = np.hstack([cols, np.zeros((len(times), repetition - 1 - cols.shape[1]))])
            times = np.hstack([cols, times])
    atomic_write(p['times'], format_rows(times, '%.6f'))
    atomic_write(p['scores'], format_rows(result.scores[:, None], '%.4f'))
    return atomic_write(p['boxes'], format_rows(result.boxes))


def read_got10k(root: str | os.PathLike, tracker: str, seq: str, repetition: int = 1) -> SequenceResult:
    """Read back what `write_got10k` (or the got10k toolkit) wrote; scores NaN if absent."""
    p = got10k_paths(root, tracker, seq, repetition)
    if not p['boxes'].is_file():
        raise FileNotFoundError(f'{p["boxes"]}: no result for {seq} (repetition {repetition})')
    boxes = np.loadtxt(p['boxes'], delimiter=',', ndmin=2)
    n = len(boxes)
    times = np.full(n, np.nan)
    if p['times'].is_file():
        t = np.loadtxt(p['times'], delimiter=',', ndmin=2)
        if t.shape[0] == n and t.shape[1] >= repetition:
            times = t[:, repetition - 1]
    scores = np.loadtxt(p['scores'], ndmin=1) if p['scores'].is_file() else np.full(n, np.nan)
    if len(scores) != n:
        raise ValueError(f'{p["scores"]}: {len(scores)} rows but {p["boxes"]} has {n}')
    return SequenceResult(seq, boxes, scores, times)
