"""Hook: convert got10k-layout results into another toolkit's layout through the integrations' writers.

The writers live in `metartt_tracker.integrations.results_io` (the integrations issue), exposed as
`WRITERS: dict[layout, Callable[[SequenceResult, root, tracker, repetition, **options], Path]]`,
e.g. 'pysot' (option dataset=OTB100) and 'pytracking' (option parameter=default). This module only
walks our results and hands each run to the named writer.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

from metartt_tracker.results import read_got10k

WRITERS_MODULE = 'metartt_tracker.integrations.results_io'


def writers() -> dict[str, Callable[..., Any]]:
    """The integrations' result writers, or a clear error while they do not exist."""
    try:
        module = importlib.import_module(WRITERS_MODULE)
    except ModuleNotFoundError as e:
        if not (e.name or '').startswith(WRITERS_MODULE.rsplit('.', 1)[0]):
            raise
        raise RuntimeError(f'{WRITERS_MODULE} is not installed: pysot / pytracking writers come with the '
                           f'integrations package') from None
    table = getattr(module, 'WRITERS', None)
    if not isinstance(table, dict):
        raise RuntimeError(f'{WRITERS_MODULE} has no WRITERS dict of layout -> writer(result, root, tracker, '
                           f'repetition, **options)')
    return table


def export(root: str | Path, tracker: str, layout: str, dest: str | Path, **options: Any) -> list[Path]:
    """Write every run of `<root>/<tracker>/` (got10k layout) to `dest` in `layout` (writer `options` passed on)."""
    table = writers()
    if layout not in table:
        raise ValueError(f'no writer for layout {layout!r}; available: {sorted(table)}')
    folder = Path(root) / tracker
    if not folder.is_dir():
        raise FileNotFoundError(f'{folder}: no results of tracker {tracker!r}')
    written = []
    for seq_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for boxes in sorted(seq_dir.glob(f'{seq_dir.name}_[0-9][0-9][0-9].txt')):
            rep = int(boxes.stem.rsplit('_', 1)[1])
            written.append(table[layout](read_got10k(root, tracker, seq_dir.name, rep), dest, tracker, rep, **options))
    return written
