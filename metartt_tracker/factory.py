"""The one factory: what a (variant, backbone, checkpoint, overrides) request means in weights.

Every way of getting a tracker (`MetaRTTTracker.from_spec` / `from_variant` / `from_pretrained` /
`from_checkpoint`, `build_tracker`, the CLI and every toolkit adapter, all through
`TrackerSpec.parts` or `parts_from_checkpoint`) resolves its request here, so they all agree:

1. a checkpoint file, when given, fixes config, backbone and weights (overrides still apply);
2. else a variant that needs trained weights (learned step sizes, a pruning network) loads its
   shipped, sha256-verified checkpoint (`shipped.py`);
3. else the variant's config with the registry's ImageNet backbone (`backbone` picks it) and
   fc layers initialised from the tracker's seed.

`TrackerSpec` is the serialisable form of such a request plus seed, thread count and device, shared
by the harnesses and the experiment rows. The device is never read from a checkpoint: a model trained
on a GPU tracks on a CPU and the reverse (tensors are loaded to the CPU, then moved).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backbones import BACKBONES, Backbone, build_backbone
from .checkpoint import load_checkpoint
from .config import DEFAULT_BACKBONE, VARIANTS, TrackerConfig, variant_config
from .model import Params
from .pruning import PruningNetwork, network_from_dict
from .shipped import pretrained_path


@dataclass
class TrackerParts:
    """What a tracker is built from: its config and weights (nothing per sequence)."""

    config: TrackerConfig  # tracking configuration, incl. variant and backbone
    backbone: Backbone  # frozen feature extractor
    head_params: Params | None = None  # theta_0 of fc4-fc6 (None: initialised from the tracker's seed)
    alphas: dict[str, list[Params]] | None = None  # learned step sizes per stage and step
    pruner: PruningNetwork | None = None  # pruning network (pruning.enabled)


def parts_from_checkpoint(path: str | os.PathLike, **overrides: Any) -> TrackerParts:
    """Config and weights of a checkpoint file, with dotted config overrides applied."""
    ckpt = load_checkpoint(path)
    cfg = ckpt.config.replace(**overrides) if overrides else ckpt.config
    backbone = build_backbone(cfg.backbone, pretrained=ckpt.backbone_state is None)
    if ckpt.backbone_state is not None:
        backbone.load_state_dict(ckpt.backbone_state)
    pruner = network_from_dict(ckpt.pruning) if cfg.pruning.enabled else None
    return TrackerParts(cfg, backbone, ckpt.head_params, ckpt.alphas, pruner)


def weights_for(variant: str, checkpoint: str | os.PathLike | None = None) -> Path | None:
    """The checkpoint file a request uses: the given one, else the shipped weights of a variant
    that needs trained weights, else None. Raises MissingWeightsError when none are shipped."""
    if checkpoint:
        return Path(checkpoint)
    return pretrained_path(variant) if variant_config(variant).needs_meta_weights else None


def tracker_parts(variant: str = 'rtmdnet', backbone: str | None = None,
                  checkpoint: str | os.PathLike | None = None, /, **overrides: Any) -> TrackerParts:
    """Resolve a request (rules in the module docstring). `overrides` are dotted config paths;
    a 'backbone' override (`--override backbone=vggm`) stands for the `backbone` argument."""
    overrides = dict(overrides)
    backbone = overrides.pop('backbone', backbone)
    path = weights_for(variant, checkpoint)
    if path is not None:
        return parts_from_checkpoint(path, **overrides)
    cfg = variant_config(variant, backbone=backbone or DEFAULT_BACKBONE)
    if overrides:
        cfg = cfg.replace(**overrides)
    return TrackerParts(cfg, build_backbone(cfg.backbone))


@dataclass
class TrackerSpec:
    """A buildable, serialisable description of one tracker: what harness flags, trackers.ini
    lines, pytracking parameter files and experiment rows all mean."""

    variant: str = 'rtmdnet'  # named variant (metartt_tracker.config.VARIANTS)
    backbone: str = DEFAULT_BACKBONE  # backbone of a variant built without a checkpoint
    checkpoint: str | None = None  # MetaRTT checkpoint file; fixes variant config and backbone
    seed: int = 0  # seed of every random choice the tracker makes
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted config paths -> values
    threads: int = 0  # torch intra-op threads set before building (0: torch's default)
    device: str = 'auto'  # where the tracker runs (TrackerConfig.device): 'auto', 'cpu', 'cuda', 'cuda:N'

    def __post_init__(self) -> None:
        if 'device' in self.overrides:  # `--override device=cuda`, from_variant(..., device=...): into the one field
            overrides = dict(self.overrides)
            self.device = str(overrides.pop('device'))
            self.overrides = overrides
        if self.variant not in VARIANTS:
            raise ValueError(f'unknown variant {self.variant!r}; choose one of {sorted(VARIANTS)}')
        if self.backbone not in BACKBONES:
            raise ValueError(f'unknown backbone {self.backbone!r}; choose one of {sorted(BACKBONES)}')
        try:
            variant_config(self.variant).replace(**{k: v for k, v in self.overrides.items() if k != 'backbone'})
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f'bad config override in {self.overrides}: {e}') from None

    @property
    def label(self) -> str:
        """Default tracker name for result folders: checkpoint stem, else variant (+ non-default backbone)."""
        if self.checkpoint:
            return Path(self.checkpoint).stem
        return self.variant if self.backbone == DEFAULT_BACKBONE else f'{self.variant}_{self.backbone}'

    def parts(self) -> TrackerParts:
        """The config and weights this spec resolves to."""
        return tracker_parts(self.variant, self.backbone, self.checkpoint, **{**self.overrides, 'device': self.device})

    def argv(self) -> list[str]:
        """Command-line flags that `integrations.options.spec_from_args` parses back into this spec."""
        out = ['--variant', self.variant, '--backbone', self.backbone, '--seed', str(self.seed)]
        if self.checkpoint:
            out += ['--checkpoint', str(Path(self.checkpoint).resolve())]
        if self.threads:
            out += ['--threads', str(self.threads)]
        if self.device != 'auto':
            out += ['--device', self.device]
        for key, value in self.overrides.items():
            out += ['--override', f'{key}={value!r}']  # a Python literal: tuples stay tuples
        return out
