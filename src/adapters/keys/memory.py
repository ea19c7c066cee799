"""Expiring keys in a dict: for unit tests and a single process."""

from __future__ import annotations

import time


class InMemoryExpiringKeys:
    def __init__(self) -> None:
        self._values: dict[str, tuple[bytes, float]] = {}

    async def put(self, key: str, value: bytes, ttl_seconds: float) -> None:
        self._values[key] = (value, time.monotonic() + ttl_seconds)

    async def get(self, key: str) -> bytes | None:
        found = self._values.get(key)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    async def put_if_absent(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        if await self.get(key) is not None:
            return False
        await self.put(key, value, ttl_seconds)
        return True
