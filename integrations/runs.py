"""Runs that write a harness's result layout without the harness: `metartt run-pysot` and
`metartt run-pytracking`.

One model is built per run and reused for every sequence; each sequence is tracked by the shared
loop (`track_sequence`, or the reset protocol on top of it) and written by a `results_io` writer.
All sequences are opened and checked before the first is tracked, and a sequence whose result
file exists is skipped, as the harnesses do: files are written atomically, so an existing file
is a finished one.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

from metartt_tracker.data import Sequence
from metartt_tracker.results import track_sequence
from metartt_tracker.tracker import MetaRTTTracker

from .layouts import load_sequences
from .options import TrackerSpec
from .pytracking import TRACKER_NAME, parameter_name
from .regions import pysot_init_box, region_to_box
from .reset import run_reset_protocol
from .results_io import (pysot_layout, pysot_result_path, pytracking_dir, write_pysot, write_pysot_baseline,
                         write_pytracking)


def _run_all(spec: TrackerSpec, seqs: list[Sequence], target: Callable[[Sequence], Path],
             track_and_write: Callable[[Any, Sequence], Path]) -> list[Path]:
    """Track and write every sequence whose result file is missing; returns all result files."""
    todo = [s for s in seqs if not target(s).exists()]
    tracker = MetaRTTTracker.from_spec(spec) if todo else None
    for i, seq in enumerate(todo, 1):
        print(f'[{i}/{len(todo)}] {seq.name} ({len(seq)} frames)', file=sys.stderr)
        track_and_write(tracker, seq)
    return [target(s) for s in seqs]


def run_pysot(spec: TrackerSpec, root: str | os.PathLike, dataset: str, results: str | os.PathLike = 'results',
              name: str | None = None, max_frames: int = 0) -> list[Path]:
    """pysot's tools/test.py protocol and layout: VOT2016/2017/2018/2019 with resets (re-init 5 frames
    after a zero-overlap frame), every other dataset one pass; initial boxes as pysot computes them."""
    name = name or spec.label
    seqs = load_sequences(root, dataset, max_frames)

    def track_and_write(tracker: Any, seq: Sequence) -> Path:
        if pysot_layout(dataset) == 'baseline':
            run = run_reset_protocol(tracker, seq.frames, seq.regions, seq.name, init_box=pysot_init_box)
            return write_pysot_baseline(run, results, dataset, name)
        result = track_sequence(tracker, seq.frames, pysot_init_box(seq.regions[0]),
                                seq.name)
        return write_pysot(result, results, dataset, name)

    return _run_all(spec, seqs, lambda s: pysot_result_path(results, dataset, name, s.name), track_and_write)


def run_pytracking(spec: TrackerSpec, root: str | os.PathLike, results_path: str | os.PathLike,
                   parameter: str | None = None, run_id: int | None = None, max_frames: int = 0) -> list[Path]:
    """One pass per sequence in pytracking's layout (<results_path>/metartt/<parameter>[_<run_id>]/)."""
    parameter = parameter or parameter_name(spec.label)
    seqs = load_sequences(root, max_frames=max_frames)
    out = pytracking_dir(results_path, parameter, TRACKER_NAME, run_id)

    def track_and_write(tracker: Any, seq: Sequence) -> Path:
        result = track_sequence(tracker, seq.frames, region_to_box(seq.regions[0]),
                                seq.name)
        return write_pytracking(result, results_path, parameter, TRACKER_NAME, run_id)

    return _run_all(spec, seqs, lambda s: out / f'{s.name}.txt', track_and_write)
