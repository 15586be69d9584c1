"""How every harness names and builds a MetaRTT tracker: variant, backbone, checkpoint, seed, overrides.

The got10k tracker, the TraX server, the pysot/pytracking adapters and the CLI runs all take a
`TrackerSpec`, so a trackers.ini command line, a pytracking parameter file and `metartt eval`
flags mean exactly the same thing. `add_tracker_args` / `spec_from_args` / `TrackerSpec.argv`
are one parser and its inverse.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from metartt_tracker.config import VARIANTS, parse_override, variant_config

BACKBONES = ('lite0', 'vggm')


@dataclass
class TrackerSpec:
    """A buildable description of one tracker configuration."""

    variant: str = 'rtmdnet'  # named variant (metartt_tracker.config.VARIANTS)
    backbone: str = 'lite0'  # backbone of a variant built without a checkpoint
    checkpoint: str | None = None  # MetaRTT checkpoint file; overrides variant and backbone
    seed: int = 0  # seed of every random choice the tracker makes
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted config paths -> values
    threads: int = 0  # torch intra-op threads (0: torch's default)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f'unknown variant {self.variant!r}; choose one of {sorted(VARIANTS)}')
        if self.backbone not in BACKBONES:
            raise ValueError(f'unknown backbone {self.backbone!r}; choose one of {list(BACKBONES)}')
        try:
            variant_config(self.variant).replace(**self.overrides)
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f'bad config override in {self.overrides}: {e}') from None

    @property
    def label(self) -> str:
        """Default tracker name for result folders: checkpoint stem, else variant (+ non-default backbone)."""
        if self.checkpoint:
            return Path(self.checkpoint).stem
        return self.variant if self.backbone == 'lite0' else f'{self.variant}_{self.backbone}'

    def build(self) -> Any:
        """A fresh `MetaRTTTracker` (the model is loaded here, once per call)."""
        import torch

        from metartt_tracker.checkpoint import build_tracker
        if self.threads > 0:
            torch.set_num_threads(self.threads)
        return build_tracker(self.variant, self.backbone, self.checkpoint, self.seed, **self.overrides)

    def argv(self) -> list[str]:
        """Command-line flags that `spec_from_args` parses back into this spec."""
        out = ['--variant', self.variant, '--backbone', self.backbone, '--seed', str(self.seed)]
        if self.checkpoint:
            out += ['--checkpoint', str(Path(self.checkpoint).resolve())]
        if self.threads:
            out += ['--threads', str(self.threads)]
        for key, value in self.overrides.items():
            out += ['--override', f'{key}={value!r}']  # a Python literal: tuples stay tuples
        return out


def add_tracker_args(parser: argparse.ArgumentParser, variant: bool = True) -> None:
    """The tracker-choosing flags shared by every harness command (and the TraX server)."""
    if variant:
        parser.add_argument('--variant', default='rtmdnet', choices=sorted(VARIANTS),
                            help='named variant (default rtmdnet)')
    parser.add_argument('--backbone', default='lite0', choices=BACKBONES, help='backbone when no checkpoint is given')
    if variant:
        parser.add_argument('--checkpoint', help='MetaRTT checkpoint file (overrides --variant/--backbone)')
    parser.add_argument('--seed', type=int, default=0, help='seed of every random choice (default 0)')
    parser.add_argument('--override', dest='overrides', action='append', type=parse_override, default=[],
                        metavar='KEY=VALUE', help='tracker config override, e.g. adaptation.iters_init=5 (repeatable)')
    parser.add_argument('--threads', type=int, default=0, help='torch threads (default: torch decides)')


def spec_from_args(args: argparse.Namespace, **changes: Any) -> TrackerSpec:
    """The `TrackerSpec` the flags of `add_tracker_args` describe (`changes` replace fields)."""
    fields = dict(variant=getattr(args, 'variant', 'rtmdnet'), backbone=args.backbone,
                  checkpoint=getattr(args, 'checkpoint', None), seed=args.seed,
                  overrides=dict(args.overrides), threads=args.threads)
    fields.update(changes)
    return TrackerSpec(**fields)


def parse_spec(argv: Sequence[str]) -> TrackerSpec:
    """Inverse of `TrackerSpec.argv` (used by processes a harness starts from a command line)."""
    parser = argparse.ArgumentParser(add_help=False)
    add_tracker_args(parser)
    return spec_from_args(parser.parse_args(list(argv)))
