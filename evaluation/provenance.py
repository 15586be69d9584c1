"""Sidecar JSON for every table and plot: what made the numbers, so they can be cited and re-made.

Records the package version and git commit, the command line, the dataset (name, root, a hash of
its sequence list and frame counts), the scoring convention, and per tracker the seeds, weights
checksums, config overrides, machines and thread counts its runs report, and the date.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from metartt_tracker.version import code_version
from metartt_tracker.data.benchmarks import Benchmark
from metartt_tracker.fileio import atomic_write

from .paper_results import SOURCE
from .scoring import Scores


def dataset_record(bench: Benchmark) -> dict[str, Any]:
    """Which data: enough to tell two runs on different copies or splits apart."""
    return {'name': bench.name, 'kind': bench.kind, 'root': str(bench.root.resolve()), 'sequences': len(bench),
            'frames': bench.frames(), 'sequence_list_sha256': bench.list_hash(), **bench.notes}


def tracker_record(scores: Scores) -> dict[str, Any]:
    """Seeds, weights, machines and threads reported by a tracker's runs."""
    infos = [i for i in scores.infos if i]
    pick = lambda k: sorted({json.dumps(i.get(k), sort_keys=True, default=str) for i in infos if k in i})  # noqa: E731
    weights = {i['checkpoint']: i.get('checkpoint_sha256') for i in infos if i.get('checkpoint')}
    return {'repetitions': sorted(scores.reps), 'seeds': sorted({i['seed'] for i in infos if 'seed' in i}),
            'weights_sha256': weights, 'overrides': [json.loads(x) for x in pick('overrides')],
            'machines': [json.loads(x) for x in pick('machine')],
            'code_versions': [json.loads(x) for x in pick('code_version')],
            'missing_runs': scores.missing[:50], 'runs': len(infos)}


def this_machine() -> dict[str, Any]:
    """Where the table or plot was made."""
    import torch
    return {'host': platform.node(), 'processor': platform.processor() or platform.machine(),
            'platform': platform.platform(), 'cpus': os.cpu_count(), 'torch': torch.__version__,
            'torch_threads': torch.get_num_threads(), 'python': platform.python_version()}


def provenance(what: str, benches: dict[str, Benchmark], scores: dict[str, Scores], **extra: Any) -> dict[str, Any]:
    """The sidecar content of one artefact."""
    return {'artefact': what, 'package': 'metartt', 'code_version': code_version(),
            'created': dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds'), 'command': sys.argv,
            'datasets': {k: dataset_record(b) for k, b in benches.items()},
            'trackers': {label: tracker_record(s) for label, s in scores.items()},
            'made_on': this_machine(), 'paper': SOURCE, **extra}


def write_sidecar(stem: Path, record: dict[str, Any]) -> Path:
    """`<stem>.json` next to the artefact's files, written atomically."""
    return atomic_write(stem.with_suffix('.json'), json.dumps(record, indent=1, default=str) + '\n')
