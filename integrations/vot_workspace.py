"""`metartt vot init`: a vot-toolkit (0.7.4) workspace for a local dataset and our trackers.

    WORKSPACE/config.yaml      registry ./trackers.ini, stack stack.yaml (or an integrated stack id)
    WORKSPACE/stack.yaml       one of STACKS (no dataset URL, so nothing is ever downloaded)
    WORKSPACE/trackers.ini     one TraX entry per variant/checkpoint, CPU-sized timeout
    WORKSPACE/sequences/       VOT layout (color/%08d.jpg, groundtruth.txt, sequence, list.txt)
    WORKSPACE/results/

Tracker entries run `<this python> -m metartt_tracker.integrations.vot_server <spec flags>` with
the `trax` protocol, so the interpreter and the package are the ones that wrote the workspace,
whatever `vot` is started with. Variants that need meta-trained weights get an entry only when a
checkpoint is given; otherwise a commented-out one says how to add it.
"""
from __future__ import annotations

import dataclasses

import os
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

from metartt_tracker.errors import MissingWeightsError
from metartt_tracker.factory import weights_for
from metartt_tracker.fileio import atomic_write
from metartt_tracker.importers import WeightsError

from .layouts import export_dataset, load_sequences
from .options import TrackerSpec

DEFAULT_TIMEOUT = 300  # s per TraX call: the default 30 s is too short for a CPU first frame
SERVER = 'metartt_tracker.integrations.vot_server'


def _supervised(repetitions: int, low: int, high: int, realtime: bool = False) -> dict[str, Any]:
    exp: dict[str, Any] = {'type': 'supervised', 'repetitions': repetitions, 'skip_initialize': 5}
    if realtime:
        exp['realtime'] = {'grace': 3}
    exp['analyses'] = [{'type': 'supervised_average_ar', 'sensitivity': 30},
                       {'type': 'cumulative_failures'},
                       {'type': 'supervised_eao_score', 'low': low, 'high': high},
                       {'type': 'supervised_eao_curve'}]
    return exp


def short_eao_range(min_length: int) -> tuple[int, int]:
    """EAO interval for short sequences: [N/4, N-1] of the shortest sequence (N >= 6)."""
    if min_length < 6:
        raise ValueError(f'the shortest sequence has {min_length} frames; the short stack needs at least 6')
    return max(1, min_length // 4), min_length - 1


def stack(name: str, min_length: int, eao: tuple[int, int] | None = None) -> dict[str, Any]:
    """Our stacks: 'vot2016' (reset-based baseline, 15 repetitions, EAO over [108, 371], as VOT2016),
    'realtime' (VOT2017-style real-time experiment, EAO over [100, 356]) and 'short' (one
    repetition, EAO over a range that fits the shortest sequence, for quick runs and CI)."""
    if name == 'vot2016':
        return {'title': 'VOT2016 reset-based baseline (local sequences)',
                'experiments': {'baseline': _supervised(15, *(eao or (108, 371)))}}
    if name == 'realtime':
        return {'title': 'VOT real-time experiment (local sequences)',
                'experiments': {'realtime': _supervised(1, *(eao or (100, 356)), realtime=True)}}
    if name == 'short':
        return {'title': 'Short reset-based stack (local sequences)',
                'experiments': {'baseline': _supervised(1, *(eao or short_eao_range(min_length)))}}
    raise ValueError(f'unknown stack {name!r}; choose one of {STACKS} or an integrated vot-toolkit stack id')


STACKS = ('short', 'vot2016', 'realtime')


def tracker_entries(specs: Sequence[TrackerSpec], timeout: int = DEFAULT_TIMEOUT,
                    missing: Sequence[str] = ()) -> str:
    """trackers.ini text: one TraX entry per spec, and commented hints for variants lacking weights."""
    blocks = ['; MetaRTT trackers (written by `metartt vot init`); every entry is one TraX process that keeps\n'
              '; its model across re-initialisations. Extra server flags: --override KEY=VALUE, --log FILE.\n']
    for spec in specs:
        command = shlex.join([sys.executable, '-m', SERVER, *spec.argv()]).replace('%', '%%')
        blocks.append(f'[{spec.label}]\nlabel = MetaRTT {spec.label}\nprotocol = trax\ncommand = {command}\n'
                      f'timeout = {timeout}\n')
    for variant in missing:
        blocks.append(f'; [{variant}] needs meta-trained weights: re-run `metartt vot init ... '
                      f'--checkpoint weights/{variant}.pt` to add it\n')
    return '\n'.join(blocks)


def _buildable(variant: str) -> bool:
    """Whether the factory can build a variant without a checkpoint file: it needs no trained weights,
    or the package ships checksum-valid ones."""
    try:
        weights_for(variant)
    except (MissingWeightsError, FileNotFoundError, WeightsError):  # unlisted, missing or corrupt: not usable
        return False
    return True


def plan_specs(base: TrackerSpec, variants: Sequence[str],
               checkpoints: Sequence[str]) -> tuple[list[TrackerSpec], list[str]]:
    """Specs for the requested variants -> (specs, skipped), each with the base's backbone, seed, overrides,
    threads and device. Meta-learned variants run on the shipped weights when the package has them, else only
    through `checkpoints`; a checkpoint named like a variant entry (`--checkpoint weights/metartt.pt`)
    replaces that entry: the file asked for is what runs under the name."""
    by_label: dict[str, TrackerSpec] = {}
    skipped = []
    for v in variants:
        if not _buildable(v):
            skipped.append(v)
        else:
            spec = dataclasses.replace(base, variant=v, checkpoint=None, overrides=dict(base.overrides))
            by_label[spec.label] = spec
    from_files: dict[str, TrackerSpec] = {}
    for ckpt in checkpoints:
        if not Path(ckpt).is_file():
            raise FileNotFoundError(f'{ckpt}: checkpoint not found')
        spec = dataclasses.replace(base, checkpoint=str(Path(ckpt).resolve()), overrides=dict(base.overrides))
        if spec.label in from_files:
            raise ValueError(f'tracker names collide: two checkpoints named {spec.label!r} '
                             f'({from_files[spec.label].checkpoint}, {spec.checkpoint}); rename one file')
        from_files[spec.label] = spec
    specs = list({**by_label, **from_files}.values())
    return specs, [v for v in skipped if v not in {s.label for s in specs}]


def create_workspace(workspace: str | os.PathLike, sequences: str | os.PathLike, specs: Sequence[TrackerSpec],
                     stack_name: str = 'short', timeout: int = DEFAULT_TIMEOUT, max_frames: int = 0,
                     eao: tuple[int, int] | None = None, missing: Sequence[str] = (), force: bool = False) -> Path:
    """Build the workspace; every input is checked before anything is written."""
    import yaml
    ws = Path(workspace)
    if (ws / 'config.yaml').exists() and not force:
        raise ValueError(f'{ws / "config.yaml"} exists: {ws} is already a workspace (use --force to rebuild it)')
    seqs = load_sequences(sequences, max_frames=max_frames)
    stack_ref = _stack_ref(stack_name, min(len(s) for s in seqs), eao)
    export_dataset(seqs, ws / 'sequences', 'vot', force=force)
    if isinstance(stack_ref, dict):
        atomic_write(ws / 'stack.yaml', yaml.safe_dump(stack_ref, sort_keys=False))
        stack_ref = 'stack.yaml'
    atomic_write(ws / 'trackers.ini', tracker_entries(specs, timeout, missing))
    (ws / 'results').mkdir(exist_ok=True)
    atomic_write(ws / 'config.yaml', yaml.safe_dump({'registry': ['./trackers.ini'], 'stack': stack_ref},
                                                    sort_keys=False))
    return ws


def _stack_ref(name: str, min_length: int, eao: tuple[int, int] | None) -> dict[str, Any] | str:
    """Our stack as a dict, or the id of a stack that ships with the vot toolkit."""
    if name in STACKS:
        return stack(name, min_length, eao)
    from vot.stack import resolve_stack
    if resolve_stack(name) is None:
        raise ValueError(f'unknown stack {name!r}; choose one of {STACKS} or an integrated vot-toolkit stack id '
                         f'(e.g. vot2018/shortterm)')
    return name


def read_analysis(path: str | os.PathLike) -> dict[str, dict[str, dict[str, float]]]:
    """Headline numbers of a `vot analysis` JSON file (toolkit 0.7.4):
    tracker -> experiment -> {'accuracy', 'failures', 'eao'} (those its stack computes)."""
    import json
    data = json.loads(Path(path).read_text())
    trackers = list(data['trackers'])
    out: dict[str, dict[str, dict[str, float]]] = {t: {} for t in trackers}
    fields = {'AverageAccuracyRobustness': ('accuracy', 'failures'), 'EAOScore': ('eao',)}
    for experiment, block in data['results'].items():
        for analysis, grid in zip(block['parameters']['analyses'], block['results']):
            names = fields.get(analysis['type'].rsplit('.', 1)[-1], ())
            for tracker, row in zip(trackers, grid):
                out[tracker].setdefault(experiment, {}).update(zip(names, row[:len(names)]))
    return out
