"""The experiment rows as data: a label, the `TrackerSpec` it runs (or an OpenCV baseline), its weights.

A row's tracker is the same `metartt_tracker.TrackerSpec` every harness builds from; the row only
adds how it is named in tables, where its weights file lives and how it is trained. A row becomes
runnable the moment its checkpoint file exists in the weights folder (or is shipped); until then it
is reported as missing (or trained first, when `metartt reproduce --train RECIPE` is given: `train`
holds the keyword arguments handed to `metartt_tracker.meta.train`).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metartt_tracker.errors import MissingWeightsError
from metartt_tracker.factory import TrackerSpec
from metartt_tracker.fileio import sha256_text
from metartt_tracker.shipped import pretrained_path


@dataclass(frozen=True)
class Row:
    """One table row / plot curve: what runs, and how it is named, stored and trained."""

    key: str  # results folder name and row id, e.g. 'rtmdnet-50-5'
    label: str  # as printed in tables and legends
    tracker: TrackerSpec | None = None  # our tracker (seed, checkpoint and threads are set per run); None: a baseline
    baseline: str | None = None  # OpenCV tracker ('csrt' | 'kcf' | 'nanotrack') when `tracker` is None
    weights: str | None = None  # checkpoint file name in the weights folder (None: no trained weights needed)
    train: dict[str, Any] | None = None  # kwargs for metartt_tracker.meta.train; None = cannot be trained here

    @property
    def deterministic(self) -> bool:
        """Same output for every seed (OpenCV baselines): one repetition is enough."""
        return self.baseline is not None

    @property
    def name(self) -> str:
        """What ran, for `_info.json`: our variant or 'opencv-<baseline>'."""
        return self.tracker.variant if self.tracker else f'opencv-{self.baseline}'

    @property
    def overrides(self) -> dict[str, Any]:
        """Tracker config overrides of the row (none for a baseline)."""
        return dict(self.tracker.overrides) if self.tracker else {}

    def checkpoint_path(self, weights_dir: str | Path) -> Path | None:
        """Where this row's weights are written and looked for first (None when it needs none)."""
        return Path(weights_dir) / self.weights if self.weights else None

    def resolve_checkpoint(self, weights_dir: str | Path) -> Path | None:
        """The weights file to run with: `<weights_dir>/<row>.pt`, else the package's shipped (sha256-checked)
        weights of that name; None when the row needs none. Raises MissingWeightsError when there are none."""
        path = self.checkpoint_path(weights_dir)
        if path is None or path.is_file():
            return path
        try:
            return pretrained_path(self.key.split('@')[0])
        except (MissingWeightsError, FileNotFoundError) as e:
            raise MissingWeightsError(f'{path}: not found, and {e}') from e

    def tracker_spec(self, seed: int, weights_dir: str | Path) -> TrackerSpec:
        """The `TrackerSpec` of one run of this row: its tracker with the seed and resolved weights file."""
        if self.tracker is None:
            raise ValueError(f'row {self.key!r} is the OpenCV baseline {self.baseline!r}, not a MetaRTT tracker')
        ckpt = self.resolve_checkpoint(weights_dir)
        return dataclasses.replace(self.tracker, seed=seed, checkpoint=str(ckpt) if ckpt else None)

    def with_overrides(self, extra: dict[str, Any], tag: str = '') -> 'Row':
        """Copy with more overrides; results go to a folder suffixed by a hash of what changed."""
        if not extra and not tag:
            return self
        digest = sha256_text(json.dumps([extra, tag], sort_keys=True, default=str))[:8]
        tracker = self.tracker and dataclasses.replace(self.tracker, overrides={**self.tracker.overrides, **extra})
        return dataclasses.replace(self, key=f'{self.key}@{digest}', tracker=tracker)


def _ours(key: str, label: str, variant: str, **overrides: Any) -> Row:
    return Row(key, label, TrackerSpec(variant, overrides=overrides))


def _meta(key: str, label: str, ablation: str = 'metartt', variant: str = 'metartt') -> Row:
    return Row(key, label, TrackerSpec(variant), weights=f'{key}.pt', train={'variant': variant, 'ablation': ablation})


ROWS: dict[str, Row] = {r.key: r for r in (
    # RT-MDNet: SGD adaptation, K_init / K_on iterations (Table 2). No weights needed.
    _ours('rtmdnet', 'RT-MDNet', 'rtmdnet'),
    _ours('rtmdnet-50-5', 'RT-MDNet (50/5)', 'rtmdnet', **{'adaptation.iters_update': 5}),
    _ours('rtmdnet-5-15', 'RT-MDNet (5/15)', 'rtmdnet', **{'adaptation.iters_init': 5}),
    _ours('rtmdnet-5-5', 'RT-MDNet (5/5)', 'rtmdnet-5-5'),
    # MetaRTT and its ablations (Tables 1, 3, 4): meta-trained checkpoints.
    _meta('metartt', 'MetaRTT'),
    _meta('metartt-no-don', '- Not using estimated target', 'no-estimated-targets'),
    _meta('metartt-no-hard', '- Not using hard examples', 'no-hard-examples'),
    _meta('metartt-scalar-lr', '- Scalar lr', 'scalar-lr'),
    _meta('metatracker', 'Baseline for Meta-Tracker', 'metatracker'),
    _meta('metatracker-hard', '- Using hard examples', 'metatracker-hard'),
    _meta('metartt-prune', 'MetaRTT+Prune', 'prune', 'metartt-prune'),
    _meta('metartt-prune-no-meta', '- No meta-learning', 'prune-no-meta', 'metartt-prune'),
    _meta('metartt-prune-static', '- No adaptive pruning', 'prune-static', 'metartt-prune'),
    _meta('metartt-coco', 'MetaRTT+COCO', 'coco'),
    # CPU baselines a user would otherwise pick (SPEC §6).
    Row('csrt', 'CSRT (OpenCV)', baseline='csrt'),
    Row('kcf', 'KCF (OpenCV)', baseline='kcf'),
    Row('nanotrack', 'NanoTrack v2 (OpenCV)', baseline='nanotrack'),  # a modern CPU tracker (SPEC §6, issue 18)
)}


def row(key: str) -> Row:
    """The row of a key; a clear error lists the known ones."""
    if key not in ROWS:
        raise ValueError(f'unknown experiment row {key!r}; choose from {sorted(ROWS)}')
    return ROWS[key]
