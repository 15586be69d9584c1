"""`metartt export-results`: got10k-layout results converted to another toolkit's layout.

The writers are `metartt_tracker.integrations.results_io.WRITERS`: layout -> writer(result, root,
tracker, repetition, **options), e.g. 'pysot' (option dataset=OTB100), 'pytracking' (option
parameter=default) and 'got10k'. This module only walks our results and hands each run to one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from metartt_tracker.integrations.results_io import WRITERS
from metartt_tracker.results import read_got10k


def export(root: str | Path, tracker: str, layout: str, dest: str | Path, **options: Any) -> list[Path]:
    """Write every run of `<root>/<tracker>/` (got10k layout) to `dest` in `layout` (writer `options` passed on)."""
    if layout not in WRITERS:
        raise ValueError(f'no writer for layout {layout!r}; available: {sorted(WRITERS)}')
    folder = Path(root) / tracker
    if not folder.is_dir():
        raise FileNotFoundError(f'{folder}: no results of tracker {tracker!r}')
    written = []
    for seq_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for boxes in sorted(seq_dir.glob(f'{seq_dir.name}_[0-9][0-9][0-9].txt')):
            rep = int(boxes.stem.rsplit('_', 1)[1])
            result = read_got10k(root, tracker, seq_dir.name, rep)
            written.append(WRITERS[layout](result, dest, tracker, rep, **options))
    return written
