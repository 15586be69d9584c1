"""The experiment rows as data: which tracker, which checkpoint, which config overrides.

A row becomes runnable the moment its checkpoint file exists in the weights folder; until then
it is reported as missing (or trained first, when `metartt reproduce --train RECIPE` is given:
`train` holds the keyword arguments handed to `metartt_tracker.meta.train`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class VariantSpec:
    """One tracker configuration that a table row or a plot curve is measured with."""

    key: str  # results folder name and row id, e.g. 'rtmdnet-50-5'
    label: str  # as printed in tables and legends
    variant: str = 'rtmdnet'  # metartt_tracker.config variant, or 'opencv-csrt' / 'opencv-kcf'
    checkpoint: str | None = None  # weights file, relative to the weights folder (None: none needed)
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted config paths -> values
    backbone: str = 'lite0'  # backbone when no checkpoint fixes it
    deterministic: bool = False  # same output for every seed: one repetition is enough
    train: dict[str, Any] | None = None  # kwargs for metartt_tracker.meta.train; None = cannot be trained here

    @property
    def is_opencv(self) -> bool:
        """An OpenCV baseline rather than our tracker."""
        return self.variant.startswith('opencv-')

    def checkpoint_path(self, weights_dir: str | Path) -> Path | None:
        """Where this row's weights are written and looked for first (None when it needs none)."""
        return Path(weights_dir) / self.checkpoint if self.checkpoint else None

    def resolve_checkpoint(self, weights_dir: str | Path) -> Path | None:
        """The weights file to run with: `<weights_dir>/<row>.pt`, else the package's shipped (sha256-checked)
        weights of that name; None when the row needs none. Raises MissingWeightsError when there are none."""
        path = self.checkpoint_path(weights_dir)
        if path is None or path.is_file():
            return path
        from metartt_tracker import MissingWeightsError
        from metartt_tracker.checkpoint import pretrained_path
        try:
            return pretrained_path(self.key.split('@')[0])
        except (MissingWeightsError, FileNotFoundError) as e:
            raise MissingWeightsError(f'{path}: not found, and {e}') from e

    def with_overrides(self, extra: dict[str, Any], tag: str = '') -> 'VariantSpec':
        """Copy with more overrides; results go to a folder suffixed by a hash of what changed."""
        if not extra and not tag:
            return self
        digest = hashlib.sha256(json.dumps([extra, tag], sort_keys=True, default=str).encode()).hexdigest()[:8]
        return VariantSpec(f'{self.key}@{digest}', self.label, self.variant, self.checkpoint,
                           {**self.overrides, **extra}, self.backbone, self.deterministic, self.train)


def _meta(key: str, label: str, ablation: str = 'metartt', variant: str = 'metartt', **overrides: Any) -> VariantSpec:
    return VariantSpec(key, label, variant, f'{key}.pt', overrides, train={'variant': variant, 'ablation': ablation})


VARIANTS: dict[str, VariantSpec] = {v.key: v for v in (
    # RT-MDNet: SGD adaptation, K_init / K_on iterations (Table 2). No weights needed.
    VariantSpec('rtmdnet', 'RT-MDNet', 'rtmdnet'),
    VariantSpec('rtmdnet-50-5', 'RT-MDNet (50/5)', 'rtmdnet', overrides={'adaptation.iters_update': 5}),
    VariantSpec('rtmdnet-5-15', 'RT-MDNet (5/15)', 'rtmdnet', overrides={'adaptation.iters_init': 5}),
    VariantSpec('rtmdnet-5-5', 'RT-MDNet (5/5)', 'rtmdnet-5-5'),
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
    VariantSpec('csrt', 'CSRT (OpenCV)', 'opencv-csrt', deterministic=True),
    VariantSpec('kcf', 'KCF (OpenCV)', 'opencv-kcf', deterministic=True),
)}


def variant_spec(key: str) -> VariantSpec:
    """The spec of a row key; a clear error lists the known ones."""
    if key not in VARIANTS:
        raise ValueError(f'unknown experiment variant {key!r}; choose from {sorted(VARIANTS)}')
    return VARIANTS[key]
