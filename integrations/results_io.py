"""Writers (and readers) of toolkit result layouts, all fed from one `SequenceResult` / `ResetRun`.

Layouts (`root` is the toolkit's results folder; every file is written atomically, the main
boxes file last, so a file that exists is complete):

- pysot, `tools/test.py` (`write_pysot`, `write_pysot_baseline`):
  OPE datasets      root/<DS>/<tracker>/<video>.txt                      x,y,w,h per line
  GOT-10k           root/GOT-10k/<tracker>/<video>/<video>_001.txt + <video>_time.txt
  VOT2018-LT        root/VOT2018-LT/<tracker>/longterm/<video>/<video>_001.txt ('1' then boxes)
                    + <video>_001_confidence.value (blank first line) + <video>_time.txt
  VOT2016/17/18/19  root/<DS>/<tracker>/baseline/<video>/<video>_001.txt with '1' init,
                    '2' failure, '0' skipped frames, boxes otherwise (reset protocol)
- pytracking, `evaluation/running.py` (`write_pytracking`):
  <results_path>/<tracker>/<parameter>[_<run_id:03d>]/<seq>.txt   tab-separated, integer boxes
  + <seq>_time.txt + <seq>_object_presence_scores.txt
- got10k toolkit experiments (`write_otb`, `write_got10k_toolkit`): the layouts its
  ExperimentOTB/UAV123/DTB70/NfS and ExperimentGOT10k read, plus our confidences beside them
  where the toolkit does not look.

Convert results of another run with e.g.
`write_pysot(metartt_tracker.results.read_got10k(root, name, seq), 'results', 'OTB100', name)`;
`WRITERS` is that conversion per layout for `metartt export-results`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from metartt_tracker.fileio import atomic_write
from metartt_tracker.results import FrameState, ResetRun, SequenceResult, format_reset_rows, format_rows, got10k_paths

# tools/test.py runs VOT2016/2018/2019 with resets; tools/eval.py also reads VOT2017 as a reset run
PYSOT_RESET_DATASETS = ('VOT2016', 'VOT2017', 'VOT2018', 'VOT2019')
PathLike = str | os.PathLike


# ----------------------------------------------------------------------------------- pysot
def pysot_layout(dataset: str) -> str:
    """How pysot's tools/test.py stores a dataset: 'baseline', 'longterm', 'got10k' or 'ope'."""
    if dataset in PYSOT_RESET_DATASETS:
        return 'baseline'
    return {'VOT2018-LT': 'longterm', 'GOT-10k': 'got10k'}.get(dataset, 'ope')


def pysot_result_path(root: PathLike, dataset: str, tracker: str, video: str) -> Path:
    """The main result file pysot writes (and its eval.py reads) for one video."""
    base = Path(root) / dataset / tracker
    layout = pysot_layout(dataset)
    if layout == 'ope':
        return base / f'{video}.txt'
    sub = {'baseline': base / 'baseline', 'longterm': base / 'longterm', 'got10k': base}[layout]
    return sub / video / f'{video}_001.txt'


def write_pysot(result: SequenceResult, root: PathLike, dataset: str, tracker: str) -> Path:
    """One-pass result of one video in pysot's layout for `dataset` (any but the VOT reset ones)."""
    layout = pysot_layout(dataset)
    if layout == 'baseline':
        raise ValueError(f'{dataset} is evaluated with resets in pysot: use write_pysot_baseline')
    path = pysot_result_path(root, dataset, tracker, result.name)
    if layout != 'ope':
        atomic_write(path.parent / f'{result.name}_time.txt', format_rows(result.times[:, None], '%.6f'))
    if layout == 'longterm':
        scores = ''.join('\n' if np.isnan(s) else '%.6f\n' % s for s in result.scores)
        atomic_write(path.parent / f'{result.name}_001_confidence.value', scores)
        return atomic_write(path, '1\n' + format_rows(result.boxes[1:], '%.4f'))
    return atomic_write(path, format_rows(result.boxes, '%.4f'))


def write_pysot_baseline(run: ResetRun, root: PathLike, dataset: str, tracker: str) -> Path:
    """A reset-protocol run in pysot's layout: <DS>/<tracker>/baseline/<video>/<video>_001.txt."""
    name = run.result.name
    path = Path(root) / dataset / tracker / 'baseline' / name / f'{name}_001.txt'
    return atomic_write(path, format_reset_rows(run.states, run.result.boxes))


def read_pysot_baseline(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(states, boxes) of a reset-protocol file; boxes are NaN on non-tracked frames."""
    states, boxes = [], []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        values = [float(v) for v in line.split(',')]
        if len(values) == 1:
            states.append(int(values[0]))
            boxes.append([np.nan] * 4)
        elif len(values) == 4:
            states.append(FrameState.TRACKED)
            boxes.append(values)
        else:
            raise ValueError(f'{path}:{n}: expected a state code or x,y,w,h, got {line!r}')
    return np.array(states, dtype=np.int64), np.array(boxes, dtype=np.float64).reshape(-1, 4)


def read_pysot(path: PathLike) -> np.ndarray:
    """Boxes of a one-pass pysot result file (N x 4)."""
    return np.loadtxt(path, delimiter=',', ndmin=2)


# ------------------------------------------------------------------------------ pytracking
def pytracking_dir(results_path: PathLike, parameter: str, tracker: str = 'metartt', run_id: int | None = None) -> Path:
    """pytracking's Tracker.results_dir: <results_path>/<name>/<parameter>[_<run_id:03d>]."""
    leaf = parameter if run_id is None else f'{parameter}_{run_id:03d}'
    return Path(results_path) / tracker / leaf


def presence_scores(result: SequenceResult) -> np.ndarray:
    """pytracking's per-frame object_presence_score: our confidences (in [0, 1]), 1.0 on the initial frame as
    pytracking's harness records it."""
    return np.where(np.isnan(result.scores), 1.0, result.scores)


def write_pytracking(result: SequenceResult, results_path: PathLike, parameter: str, tracker: str = 'metartt',
                     run_id: int | None = None, integer: bool = True) -> Path:
    """One sequence in pytracking's layout; `integer` truncates boxes as pytracking's writer does."""
    base = pytracking_dir(results_path, parameter, tracker, run_id) / result.name
    atomic_write(f'{base}_time.txt', format_rows(result.times[:, None], '%f'))
    atomic_write(f'{base}_object_presence_scores.txt', format_rows(presence_scores(result)[:, None], '%f'))
    boxes = np.trunc(result.boxes) if integer else result.boxes
    return atomic_write(f'{base}.txt', format_rows(boxes, '%d' if integer else '%.4f', '\t'))


def read_pytracking(results_path: PathLike, parameter: str, seq: str, tracker: str = 'metartt',
                    run_id: int | None = None) -> SequenceResult:
    """Read back one sequence of pytracking's layout (times/scores NaN if their files are absent)."""
    base = pytracking_dir(results_path, parameter, tracker, run_id) / seq
    boxes = np.loadtxt(f'{base}.txt', delimiter='\t', ndmin=2)

    def column(suffix: str) -> np.ndarray:
        p = Path(f'{base}{suffix}')
        return np.loadtxt(p, ndmin=1) if p.is_file() else np.full(len(boxes), np.nan)
    return SequenceResult(seq, boxes, column('_object_presence_scores.txt'), column('_time.txt'))


# ------------------------------------------------------------------- got10k toolkit layouts
def write_otb(result: SequenceResult, root: PathLike, tracker: str) -> Path:
    """got10k's OTB-family layout (OTB, UAV123, DTB70, NfS): <tracker>/<seq>.txt + times/<seq>_time.txt,
    with our confidences in scores/<seq>_score.txt (a folder the toolkit does not read)."""
    d = Path(root) / tracker
    atomic_write(d / 'times' / f'{result.name}_time.txt', format_rows(result.times[:, None], '%.8f'))
    atomic_write(d / 'scores' / f'{result.name}_score.txt', format_rows(result.scores[:, None], '%.4f'))
    return atomic_write(d / f'{result.name}.txt', format_rows(result.boxes, '%.3f'))


def write_got10k_toolkit(result: SequenceResult, root: PathLike, tracker: str, repetition: int = 1,
                         confidence: bool = True) -> Path:
    """got10k's GOT-10k layout exactly as ExperimentGOT10k reads it, confidences (unless not wanted,
    e.g. in a test-server submission) in <seq>_<rep>_confidence.value: the report globs
    <seq>_[0-9]*.txt, which would also pick up metartt_tracker.results' <seq>_001_score.txt and fail."""
    p = got10k_paths(root, tracker, result.name, repetition)
    times = result.times[:, None]
    if repetition > 1 and p['times'].is_file():
        old = np.loadtxt(p['times'], delimiter=',', ndmin=2)
        if old.shape[0] == len(times):
            times = np.hstack([old[:, :repetition - 1], times])
    atomic_write(p['times'], format_rows(times, '%.6f'))
    if confidence:
        path = p['boxes'].with_name(f'{result.name}_{repetition:03d}_confidence.value')
        atomic_write(path, format_rows(result.scores[:, None], '%.4f'))
    return atomic_write(p['boxes'], format_rows(result.boxes, '%.3f'))


# --------------------------------------------------------------------------- export-results
def _run_name(name: str, repetition: int) -> str:
    """Repetition 1 keeps the name; repetition r > 1 becomes `<name>_<rrr>` (layouts holding one run)."""
    return name if repetition == 1 else f'{name}_{repetition:03d}'


def export_pysot(result: SequenceResult, root: PathLike, tracker: str, repetition: int = 1,
                 dataset: str | None = None) -> Path:
    """One repetition in pysot's layout of `dataset`; pysot keeps one run per tracker folder, so
    repetition r > 1 goes to tracker `<tracker>_<rrr>` (pysot's eval.py --tracker_prefix finds them all)."""
    if not dataset:
        raise ValueError('the pysot layout depends on the dataset: give it as an option, e.g. dataset=OTB100')
    return write_pysot(result, root, dataset, _run_name(tracker, repetition))


def export_pytracking(result: SequenceResult, root: PathLike, tracker: str, repetition: int = 1,
                      parameter: str = 'default', integer: bool = True) -> Path:
    """One repetition in pytracking's layout: repetition 1 in <tracker>/<parameter>/, repetition r > 1
    in <tracker>/<parameter>_<rrr>/ (pytracking's run id r)."""
    return write_pytracking(result, root, parameter, tracker, None if repetition == 1 else repetition, integer)


# layout -> writer(result, root, tracker, repetition, **options), as `evaluation.export` calls them
WRITERS: dict[str, Callable[..., Path]] = {
    'pysot': export_pysot,
    'pytracking': export_pytracking,
    'got10k': write_got10k_toolkit,
}
