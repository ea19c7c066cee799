"""Rate limits and connection slots in this process's memory: the embedded default (one process) and unit tests.

Each call runs to its end without awaiting, so on one event loop every
count-and-decide is atomic.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from application.ports import Verdict

SWEEP_EVERY = 10_000  # hits between sweeps of ended windows, so keys seen once do not pile up


class InMemoryRateLimiter:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._windows: dict[str, tuple[int, float]] = {}  # key -> (hits, when the window ends)
        self._hits = 0

    async def hit(self, key: str, limit: int, window_seconds: float) -> Verdict:
        now = self._now()
        self._hits += 1
        if self._hits % SWEEP_EVERY == 0:
            self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
        count, ends = self._windows.get(key, (0, now))
        if ends <= now:
            count, ends = 0, now + window_seconds
        count += 1
        self._windows[key] = (count, ends)
        return Verdict(count <= limit, limit, max(limit - count, 0), ends - now)


class InMemoryConnectionSlots:
    """Holds end with the process, so nothing needs a lease here."""

    def __init__(self) -> None:
        self._held: dict[str, set[str]] = {}

    async def take(self, key: str, holder: str, cap: int) -> bool:
        held = self._held.setdefault(key, set())
        if holder not in held and len(held) >= cap:
            return False
        held.add(holder)
        return True

    async def release(self, key: str, holder: str) -> None:
        held = self._held.get(key)
        if held is not None:
            held.discard(holder)
            if not held:
                del self._held[key]
