"""Expiring keys in Redis: SET with a TTL; put_if_absent is SET NX, atomic across every process."""

from __future__ import annotations

from redis.asyncio import Redis


class RedisExpiringKeys:
    def __init__(self, url: str, prefix: str = "peoplecoin:") -> None:
        self._redis = Redis.from_url(url)
        self._prefix = prefix

    async def put(self, key: str, value: bytes, ttl_seconds: float) -> None:
        await self._redis.set(self._prefix + key, value, px=_millis(ttl_seconds))

    async def get(self, key: str) -> bytes | None:
        return await self._redis.get(self._prefix + key)

    async def put_if_absent(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        return bool(await self._redis.set(self._prefix + key, value, px=_millis(ttl_seconds), nx=True))

    async def close(self) -> None:
        await self._redis.aclose()


def _millis(seconds: float) -> int:
    return max(int(seconds * 1000), 1)
