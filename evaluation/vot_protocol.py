"""VOT's reset-based ("supervised") protocol on one sequence, and the files its `ResetRun`s are stored in.

It runs `metartt_tracker.results.track_with_resets` (the reset loop the pysot adapter shares),
stopping a segment at the first frame whose rasterised overlap with the ground truth is
<= `failure_overlap` and re-initialising `skip` frames later (vot-toolkit 0.7.4
`SupervisedExperiment`). Frames without valid ground truth never fail, and a
re-initialisation moves on to the next frame that has one.

Reset-based runs are stored as vot-toolkit stores them in a workspace (also pysot's VOT layout):
`<root>/<tracker>/baseline/<seq>/<seq>_001.txt`, one line per frame: `1` initialisation, `2`
failure, `0` skipped, else `x,y,w,h`; `<seq>_001_time.value` holds seconds per frame.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Callable

import numpy as np

from metartt_tracker.fileio import atomic_write
from metartt_tracker.overlap import polygon_to_box, raster_overlaps
from metartt_tracker.results import (FrameState, ResetRun, SequenceResult, format_reset_rows, format_rows,
                                     track_with_resets)

from .metrics import valid_gt


def run_supervised(tracker: Any, frames: Any, init_boxes: np.ndarray, regions: np.ndarray, size: tuple[int, int],
                   name: str = '', skip: int = 5, failure_overlap: float = 0.0,
                   on_frame: Callable[[], None] | None = None) -> ResetRun:
    """VOT's reset-based protocol; `frames` must support indexing (a FrameSource); `on_frame()` per tracked frame."""
    valid = valid_gt(init_boxes)

    def failed(i: int, frame: Any, box: np.ndarray) -> bool:
        return bool(valid[i]) and raster_overlaps(box[None], regions[i:i + 1], size)[0] <= failure_overlap

    tick = None if on_frame is None else (lambda *_: on_frame())
    return track_with_resets(tracker, frames, lambda i: init_boxes[i] if valid[i] else None, failed,
                             name, skip, tick, length=len(valid))


# --------------------------------------------------------------------------- files


def vot_paths(root: str | Path, tracker: str, seq: str, repetition: int = 1,
              experiment: str = 'baseline') -> dict[str, Path]:
    """Where a vot-toolkit workspace keeps one reset-based run."""
    d = Path(root) / tracker / experiment / seq
    stem = f'{seq}_{repetition:03d}'
    return {'trajectory': d / f'{stem}.txt', 'binary': d / f'{stem}.bin', 'times': d / f'{stem}_time.value'}


def write_supervised(run: ResetRun, root: str | Path, tracker: str, repetition: int = 1) -> Path:
    """Write a run as vot-toolkit text results (times first, 0 on skipped frames; trajectory last = complete)."""
    p = vot_paths(root, tracker, run.name, repetition)
    atomic_write(p['times'], format_rows(np.nan_to_num(run.result.times)[:, None], '%.6f'))
    return atomic_write(p['trajectory'], format_reset_rows(run.states, run.result.boxes))


def _parse_line(line: str, where: str) -> tuple[np.ndarray, int]:
    vals = [float(v) for v in line.replace('\t', ',').split(',') if v.strip()]
    if len(vals) == 1:
        return np.full(4, np.nan), int(vals[0])
    if len(vals) == 4:
        box = np.asarray(vals)
        return box, FrameState.SKIPPED if np.isnan(box).any() else FrameState.TRACKED
    if len(vals) >= 6 and len(vals) % 2 == 0:
        return polygon_to_box(vals)[0], FrameState.TRACKED
    raise ValueError(f'{where}: expected a code (0/1/2), x,y,w,h or a polygon, got {line.strip()[:40]!r}')


def _read_binary(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """vot-toolkit's binary trajectory (.bin): specials, rectangles and polygons."""
    data = path.read_bytes()
    version, n = struct.unpack_from('<hI', data, 0)
    if version != 1:
        raise ValueError(f'{path}: unsupported binary trajectory version {version}')
    off, boxes, codes = struct.calcsize('<hI'), np.full((n, 4), np.nan), np.full(n, int(FrameState.TRACKED))
    for i in range(n):
        kind = data[off]
        if kind == 0:
            codes[i] = struct.unpack_from('<I', data, off + 1)[0]
            off += 5
        elif kind == 1:
            boxes[i] = struct.unpack_from('<ffff', data, off + 1)
            off += 17
        elif kind == 2:
            k = struct.unpack_from('<H', data, off + 1)[0]
            boxes[i] = polygon_to_box(struct.unpack_from(f'<{2 * k}f', data, off + 3))[0]
            off += 3 + 8 * k
        else:
            raise ValueError(f'{path}: region {i} has type {kind} (masks are not supported)')
    return boxes, codes


def read_supervised(root: str | Path, tracker: str, seq: str, repetition: int = 1) -> ResetRun:
    """Read a reset-based run written by us, by vot-toolkit (text or binary) or by pysot."""
    p = vot_paths(root, tracker, seq, repetition)
    if p['trajectory'].is_file():
        rows = [_parse_line(line, f'{p["trajectory"]}:{k}')
                for k, line in enumerate(p['trajectory'].read_text().splitlines(), 1) if line.strip()]
        boxes, codes = np.array([r[0] for r in rows]).reshape(-1, 4), np.array([r[1] for r in rows])
    elif p['binary'].is_file():
        boxes, codes = _read_binary(p['binary'])
    else:
        raise FileNotFoundError(f'{p["trajectory"]}: no reset-based result for {seq} (repetition {repetition})')
    times = np.zeros(len(codes))
    if p['times'].is_file():  # vot-toolkit leaves skipped frames blank
        t = np.array([float(v) if v.strip() else 0.0 for v in p['times'].read_text().splitlines()])
        times = t if len(t) == len(codes) else times
    return ResetRun(SequenceResult(seq, boxes, np.full(len(codes), np.nan), times), codes)
