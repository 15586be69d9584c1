"""The command-line form of a `TrackerSpec` (defined in `metartt_tracker.factory`) for every harness.

The got10k tracker, the TraX server, the pysot/pytracking adapters and the CLI runs all take a
`TrackerSpec` and build it with `MetaRTTTracker.from_spec`, so a trackers.ini command line, a
pytracking parameter file and `metartt eval` flags mean exactly the same thing.
`add_tracker_args` / `spec_from_args` / `TrackerSpec.argv` are one parser and its inverse.
"""
from __future__ import annotations

import argparse
from typing import Any, Sequence

from metartt_tracker.backbones import BACKBONES
from metartt_tracker.config import DEFAULT_BACKBONE, VARIANTS, parse_override
from metartt_tracker.device import add_device_arg
from metartt_tracker.factory import TrackerSpec

__all__ = ['TrackerSpec', 'add_device_arg', 'add_tracker_args', 'parse_spec', 'spec_from_args']


def add_tracker_args(parser: argparse.ArgumentParser, variant: bool = True) -> None:
    """The tracker-choosing flags shared by every harness command (and the TraX server)."""
    if variant:
        parser.add_argument('--variant', default='rtmdnet', choices=sorted(VARIANTS),
                            help='named variant (default rtmdnet)')
    parser.add_argument('--backbone', default=DEFAULT_BACKBONE, choices=sorted(BACKBONES),
                        help=f'backbone when no checkpoint is given (default {DEFAULT_BACKBONE})')
    if variant:
        parser.add_argument('--checkpoint', help='MetaRTT checkpoint file (overrides --variant/--backbone)')
    parser.add_argument('--seed', type=int, default=0, help='seed of every random choice (default 0)')
    parser.add_argument('--override', dest='overrides', action='append', type=parse_override, default=[],
                        metavar='KEY=VALUE', help='tracker config override, e.g. adaptation.iters_init=5 (repeatable)')
    parser.add_argument('--threads', type=int, default=0, help='torch threads (default: torch decides)')
    add_device_arg(parser)


def spec_from_args(args: argparse.Namespace, **changes: Any) -> TrackerSpec:
    """The `TrackerSpec` the flags of `add_tracker_args` describe (`changes` replace fields)."""
    fields = dict(variant=getattr(args, 'variant', 'rtmdnet'), backbone=args.backbone,
                  checkpoint=getattr(args, 'checkpoint', None), seed=args.seed,
                  overrides=dict(args.overrides), threads=args.threads, device=getattr(args, 'device', 'auto'))
    fields.update(changes)
    return TrackerSpec(**fields)


def parse_spec(argv: Sequence[str]) -> TrackerSpec:
    """Inverse of `TrackerSpec.argv` (used by processes a harness starts from a command line)."""
    parser = argparse.ArgumentParser(add_help=False)
    add_tracker_args(parser)
    return spec_from_args(parser.parse_args(list(argv)))
