"""Validation candidate: nano's RoI origin moved to the measured receptive-field centre.

`receptive_field.py` measures the effective centre of a nano / nano16 cell at stride * i + 5.5 px,
where the RoI convention (origin -37.5, receptive field 75) assumes stride * i. This runs
`metartt run` with `Nano.origin = -37.5 + OFFSET` (inline jobs, so the patch holds) for comparison
with the same seeds at the default origin.

    .venv/bin/python reports/2026-12-01-nano/origin_candidate.py 5.5 -- --dataset ../shared/data/sot \
        --split val.txt --variants rtmdnet-5-5 --override backbone=nano16 --repetitions 5 --seed 0 \
        --jobs 1 --threads 1 --results results/nano16_origin --quiet
"""
from __future__ import annotations

import sys

from metartt_tracker.backbones import Nano
from metartt_tracker.cli import main

if __name__ == '__main__':
    offset, rest = float(sys.argv[1]), sys.argv[sys.argv.index('--') + 1:]
    if '--jobs' not in rest or rest[rest.index('--jobs') + 1] != '1':
        raise SystemExit('run with --jobs 1: the patched class only exists in this process')
    Nano.origin = -37.5 + offset
    sys.exit(main(['run', *rest]))
