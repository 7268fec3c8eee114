"""Wall time per pipeline stage when several answers move through the stages at once.

Each answer runs its own chain (rewrite → answer → verify → repair), so a stage may be active in several chains
at the same time. Summing each chain's durations would count that time once per chain; the clock records the
time during which at least one chain was in the stage, which is what the stage costs the QAP's latency.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class StageClock:
    """Accumulates, per stage, the wall time during which the stage was active at least once."""

    def __init__(self, timings: dict[str, float], now: Callable[[], float] = time.monotonic) -> None:
        self.timings = timings
        self.now = now
        self._active: dict[str, int] = {}
        self._since: dict[str, float] = {}

    async def measure(self, name: str, work: Awaitable[T]) -> T:
        """Awaits `work` as part of stage `name`."""
        if not self._active.get(name):
            self._since[name] = self.now()
        self._active[name] = self._active.get(name, 0) + 1
        try:
            return await work
        finally:
            self._active[name] -= 1
            if not self._active[name]:
                elapsed = self.now() - self._since[name]
                self.timings[name] = self.timings.get(name, 0.0) + elapsed
