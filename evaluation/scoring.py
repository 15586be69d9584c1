"""Scores of one tracker's result files on one benchmark: per repetition, and pooled where VOT pools.

Result files may be ours or any other tracker's, in got10k's layout (``<dir>/<seq>/<seq>_001.txt``),
the flat one-file-per-sequence layout of the OTB toolkit, pysot and pytracking (``<dir>/<seq>.txt``,
comma / tab / space separated; times in ``<seq>_time.txt`` or ``times/<seq>_time.txt``), or
vot-toolkit / pysot reset-based runs (``<dir>/baseline/<seq>/<seq>_001.txt``). OTB-toolkit results
are 1-based: mark them so and they are shifted like the ground truth is.

A repetition counts once every sequence has it; sequences missing from it are listed, never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from metartt_tracker.data.benchmarks import Benchmark
from metartt_tracker.data.sequences import Sequence, read_boxes
from metartt_tracker.results import ResetRun, read_got10k

from . import metrics as M
from .vot_protocol import read_supervised
from .runner import read_info

LAYOUTS = ('got10k', 'flat', 'vot')


@dataclass(frozen=True)
class ResultSource:
    """Where one tracker's results are, and how to read them."""

    label: str  # legend / row label
    path: Path  # the tracker's folder
    layout: str = 'got10k'  # 'got10k' | 'flat' (OTB toolkit, pysot, pytracking) | 'vot' (reset-based)
    one_based: bool = False  # boxes written in 1-based pixels (OTB-toolkit results)

    @classmethod
    def parse(cls, text: str) -> 'ResultSource':
        """'LABEL=DIR[:layout][:one-based]' (layout detected when omitted)."""
        label, sep, rest = text.partition('=')
        if not sep:
            raise ValueError(f'--compare takes LABEL=DIR[:layout][:one-based], got {text!r}')
        parts = rest.split(':')
        path, flags = Path(parts[0]), parts[1:]
        layout = next((f for f in flags if f in LAYOUTS), None) or detect_layout(path)
        return cls(label, path, layout, 'one-based' in flags)

    def repetitions(self, seq: str) -> list[int]:
        """Repetition numbers present for a sequence (flat layouts hold one)."""
        if self.layout == 'flat':
            return [1] if self._flat(seq).is_file() else []
        folder = self.path / seq if self.layout == 'got10k' else self.path / 'baseline' / seq
        reps = []
        for p in folder.glob(f'{seq}_[0-9][0-9][0-9].*') if folder.is_dir() else []:
            if p.suffix in ('.txt', '.bin'):
                reps.append(int(p.stem.rsplit('_', 1)[1]))
        return sorted(set(reps))

    def _flat(self, seq: str) -> Path:
        return self.path / f'{seq}.txt'

    def read_ope(self, seq: str, rep: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(boxes (N, 4) 0-based, seconds per frame (N,), NaN if unknown)."""
        if self.layout == 'got10k':
            r = read_got10k(self.path.parent, self.path.name, seq, rep)
            boxes, times = r.boxes, r.times
        elif self.layout == 'flat':
            boxes = read_boxes(self._flat(seq))
            times = np.full(len(boxes), np.nan)
            for t in (self.path / f'{seq}_time.txt', self.path / 'times' / f'{seq}_time.txt'):
                if t.is_file():
                    values = np.loadtxt(t, ndmin=1, delimiter=',' if ',' in t.read_text()[:200] else None)
                    times = values if values.ndim == 1 and len(values) == len(boxes) else times
                    break
        else:
            raise ValueError(f'{self.path}: reset-based (vot) results have no one-pass boxes')
        if self.one_based:
            boxes = boxes.copy()
            boxes[:, :2] -= 1
        return boxes, times

    def info(self, seq: str, rep: int) -> dict[str, Any]:
        """The run's `_info.json` (ours only)."""
        protocol = 'supervised' if self.layout == 'vot' else 'ope'
        return read_info(self.path.parent, protocol, self.path.name, seq, rep) if self.layout != 'flat' else {}


def detect_layout(path: Path) -> str:
    """Guess a results folder's layout."""
    if not path.is_dir():
        raise FileNotFoundError(f'results folder not found: {path}')
    if (path / 'baseline').is_dir():
        return 'vot'
    if any(p.is_dir() and any(p.glob(f'{p.name}_[0-9][0-9][0-9].txt')) for p in path.iterdir()):
        return 'got10k'
    if any(path.glob('*.txt')):
        return 'flat'
    raise ValueError(f'{path}: no result files (got10k <seq>/<seq>_001.txt, flat <seq>.txt or vot baseline/)')


@dataclass
class Scores:
    """A tracker's numbers on a benchmark."""

    label: str
    reps: dict[int, dict[str, float]] = field(default_factory=dict)  # complete repetitions -> dataset-level scores
    pooled: dict[str, float] = field(default_factory=dict)  # scores over all repetitions at once (VOT's EAO, AR)
    curves: M.Curves | None = None  # OPE curves averaged over sequences and repetitions (plots)
    eao_curve: np.ndarray | None = None
    missing: list[str] = field(default_factory=list)  # 'seq#rep' without a result
    infos: list[dict[str, Any]] = field(default_factory=list)  # per-run provenance
    sequences: dict[int, dict[str, dict[str, float]]] = field(default_factory=dict)  # repetition -> sequence -> scores

    def seeds(self) -> dict[int, int]:
        """Repetition -> the seed it ran with (from our runs' `_info.json`; empty for other trackers' results)."""
        return {i['repetition']: i['seed'] for i in self.infos if 'seed' in i and 'repetition' in i}

    def paired(self, ref: 'Scores', metric: str) -> tuple[float, float, int, int]:
        """Per-seed difference of `metric` against `ref` over the seeds both ran with:
        (mean, standard error, seeds, seeds where self is ahead); NaN / 0 when fewer than two seeds pair."""
        mine = {seed: self.reps[r][metric] for r, seed in self.seeds().items() if metric in self.reps.get(r, {})}
        theirs = {seed: ref.reps[r][metric] for r, seed in ref.seeds().items() if metric in ref.reps.get(r, {})}
        d = np.array([mine[s] - theirs[s] for s in sorted(mine.keys() & theirs.keys())], dtype=np.float64)
        if len(d) < 2:
            return float('nan'), float('nan'), len(d), int((d > 0).sum())
        return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))), len(d), int((d > 0).sum())

    def stat(self, metric: str) -> tuple[float, float, int]:
        """(value, sample std over repetitions (NaN for one), repetitions); pooled value when there is one."""
        values = [r[metric] for r in self.reps.values() if metric in r and np.isfinite(r[metric])]
        if not values and metric not in self.pooled:
            return float('nan'), float('nan'), 0
        std = float(np.std(values, ddof=1)) if len(values) > 1 else float('nan')
        value = self.pooled.get(metric, float(np.mean(values)) if values else float('nan'))
        return float(value), std, len(values) or len(self.reps)


@lru_cache(maxsize=4096)
def _size(seq: Sequence) -> tuple[int, int]:
    return seq.image_size()


def _complete_reps(bench: Benchmark, source: ResultSource, wanted: int | None) -> tuple[list[int], list[str]]:
    have = {s.name: set(source.repetitions(s.name)) for s in bench}
    reps = sorted(set().union(*have.values())) if have else []
    if wanted:
        reps = [r for r in range(1, wanted + 1)]
    missing = [f'{s}#{r}' for r in reps for s in have if r not in have[s]]
    return [r for r in reps if all(r in h for h in have.values())], missing


def score_ope(bench: Benchmark, source: ResultSource, conv: str | M.Convention = 'metartt',
              repetitions: int | None = None) -> Scores:
    """OPE (success / precision), GOT-10k (AO / SR) and speed scores per complete repetition."""
    reps, missing = _complete_reps(bench, source, repetitions)
    out = Scores(source.label, missing=missing)
    all_curves = []
    for r in reps:
        curves, ious, times = [], [], []
        for seq in bench:
            boxes, t = source.read_ope(seq.name, r)
            if len(boxes) != len(seq):
                raise ValueError(f'{source.path}: {seq.name} repetition {r} has {len(boxes)} boxes but the ground truth '
                                 f'({seq.annotation}) has {len(seq)} rows')
            curves.append(M.ope_curves(boxes, seq.boxes, conv, seq.visible))
            ious.append(M.got10k_ious(boxes, seq.boxes, seq.visible, _size(seq)))
            times.append(t)
            out.sequences.setdefault(r, {})[seq.name] = {**curves[-1].scores(), 'frames': curves[-1].frames,
                                                         'fps': M.fps([t])}
            out.infos.append(source.info(seq.name, r))
        mean = M.mean_curves(curves)
        all_curves.append(mean)
        out.reps[r] = {**mean.scores(), **M.ao_sr(ious), 'fps': M.fps(times), 'fps_wo_first': M.fps(times, True),
                       'got10k_speed': M.got10k_speed(times)}
        rates = [i['prune_rate'] for i in out.infos[-len(bench):] if 'prune_rate' in i]
        if rates:
            out.reps[r]['prune_rate'] = float(np.mean(rates))
    if all_curves:
        out.curves = M.mean_curves(all_curves)
    return out


def score_supervised(bench: Benchmark, source: ResultSource, repetitions: int | None = None,
                     eao_range: tuple[int, int] = M.VOT2016_EAO_RANGE, burnin: int = 10) -> Scores:
    """VOT accuracy, failures and EAO; pooled over repetitions as vot-toolkit does, and per repetition."""
    reps, missing = _complete_reps(bench, source, repetitions)
    out = Scores(source.label, missing=missing)
    if not reps:
        return out
    runs: dict[str, list[ResetRun]] = {}
    times = []
    for seq in bench:
        for r in reps:
            run = read_supervised(source.path.parent, source.path.name, seq.name, r)
            if len(run.states) != len(seq):
                raise ValueError(f'{source.path}: {seq.name} repetition {r} has {len(run.states)} frames, ground truth '
                                 f'{len(seq)}')
            runs.setdefault(seq.name, []).append(M.with_vot_overlaps(run, seq.regions, _size(seq)))
            times.append(run.result.times[run.result.times > 0])
            out.infos.append(source.info(seq.name, r))
    lengths = {s.name: len(s) for s in bench}
    pooled = M.vot_scores(runs, lengths, eao_range, burnin)
    out.eao_curve = pooled.pop('eao_curve')
    out.pooled = {**pooled, 'fps': M.fps(times)}
    for i, r in enumerate(reps):
        one = M.vot_scores({s: [rs[i]] for s, rs in runs.items()}, lengths, eao_range, burnin)
        one.pop('eao_curve')
        out.reps[r] = one
    return out
