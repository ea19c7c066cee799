"""Live snapshots: in this process's memory, or in Redis so every server process can start a subscriber."""

from __future__ import annotations

from redis.asyncio import Redis


class InProcessSnapshots:
    def __init__(self) -> None:
        self._values: dict[str, tuple[int, bytes]] = {}

    async def put_many(self, snapshots: dict[str, tuple[int, bytes]]) -> None:
        self._values.update(snapshots)

    async def get(self, key: str) -> tuple[int, bytes] | None:
        return self._values.get(key)


class RedisSnapshots:
    """One string per key: the sequence, a newline, the data; written together in one round trip."""

    def __init__(self, url: str, prefix: str = "peoplecoin:") -> None:
        self._redis = Redis.from_url(url)
        self._prefix = prefix + "snapshot:"

    async def put_many(self, snapshots: dict[str, tuple[int, bytes]]) -> None:
        if snapshots:
            await self._redis.mset({self._prefix + k: b"%d\n" % seq + data for k, (seq, data) in snapshots.items()})

    async def get(self, key: str) -> tuple[int, bytes] | None:
        value = await self._redis.get(self._prefix + key)
        if value is None:
            return None
        sequence, _, data = value.partition(b"\n")
        return int(sequence), data

    async def close(self) -> None:
        await self._redis.aclose()
