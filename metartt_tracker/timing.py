"""Per-stage wall-clock accounting for the tracking loop (what `metartt bench` prints)."""
from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Callable, Iterator


class StageTimer:
    """Accumulates seconds per named stage; nested stages are counted in both. `sync` runs before each
    clock read (a GPU's queued work is then counted in the stage that queued it)."""

    def __init__(self, sync: Callable[[], None] | None = None) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.sync = sync or (lambda: None)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        self.sync()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.sync()
            self.seconds[stage] += time.perf_counter() - t0
            self.calls[stage] += 1

    def reset(self) -> None:
        """Forget everything measured so far."""
        self.seconds.clear()
        self.calls.clear()

    def snapshot(self) -> dict[str, float]:
        """A copy of the accumulated seconds per stage."""
        return dict(self.seconds)
