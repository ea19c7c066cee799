"""Rate limits and connection slots in Redis, shared by every server process of a deployment.

Each decision is one Lua script, so it is one round trip and atomic: Redis
runs a script to its end before any other command. Times inside the
scripts come from Redis' own clock (TIME, PTTL), so processes on machines
whose clocks differ still agree.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from redis.asyncio import Redis

from application.ports import Verdict

log = logging.getLogger(__name__)

# A fixed window per key: the first hit opens it (INCR from nothing, then PEXPIRE), later hits only count.
# The PTTL < 0 branch repairs a key left without an expiry, which would otherwise never open a new window.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

# One sorted set per key: member = holder, score = when its lease ends (Redis ms). Lapsed leases are dropped first.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""

# Every hold of this process in one call: KEYS[i] is held by ARGV[i + 1]; ARGV[1] is the lease. XX: only holds
# still there are extended, so a release racing a renewal is not undone.
_RENEW = """
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', until_ms, ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
end
return #KEYS
"""

LEASE_SECONDS = 30.0
"""How long a hold outlives its process (killed, or cut off from Redis); renewed every third of it."""
RENEW_BATCH = 500


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str = "peoplecoin:") -> None:
        self._redis = Redis.from_url(url)
        self._prefix = prefix + "ratelimit:"
        self._hit = self._redis.register_script(_HIT)

    async def hit(self, key: str, limit: int, window_seconds: float) -> Verdict:
        count, ttl_ms = await self._hit(keys=[self._prefix + key], args=[_millis(window_seconds)])
        return Verdict(count <= limit, limit, max(limit - count, 0), ttl_ms / 1000)

    async def close(self) -> None:
        await self._redis.aclose()


class RedisConnectionSlots:
    """Holds are leases this process renews, all in one script call, every third of the lease.

    A process killed with -9 stops renewing: its holds lapse within the lease and
    the next take drops them. A renewal never brings back a hold that is gone
    (released meanwhile, or lapsed because the process stalled past its lease):
    such a connection then goes uncounted rather than a released slot leaking.
    """

    def __init__(self, url: str, prefix: str = "peoplecoin:", lease_seconds: float = LEASE_SECONDS) -> None:
        self._redis = Redis.from_url(url)
        self._prefix = prefix + "connections:"
        self._lease_seconds = lease_seconds
        self._take = self._redis.register_script(_TAKE)
        self._renew = self._redis.register_script(_RENEW)
        self._held: dict[tuple[str, str], None] = {}
        self._renewing: asyncio.Task[None] | None = None

    async def take(self, key: str, holder: str, cap: int) -> bool:
        taken = await self._take(keys=[self._prefix + key], args=[holder, cap, _millis(self._lease_seconds)])
        if taken:
            self._held[(key, holder)] = None
            if self._renewing is None:
                self._renewing = asyncio.create_task(self._keep_renewing(), name="connection-slots-renewal")
        return bool(taken)

    async def release(self, key: str, holder: str) -> None:
        self._held.pop((key, holder), None)
        await self._redis.zrem(self._prefix + key, holder)

    async def close(self) -> None:
        """Stop renewing; holds not released lapse within the lease, as if the process had died."""
        if self._renewing is not None:
            self._renewing.cancel()
            with suppress(asyncio.CancelledError):
                await self._renewing
        await self._redis.aclose()

    async def _keep_renewing(self) -> None:
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            held = list(self._held)
            try:
                for start in range(0, len(held), RENEW_BATCH):
                    batch = held[start : start + RENEW_BATCH]
                    await self._renew(
                        keys=[self._prefix + key for key, _ in batch],
                        args=[_millis(self._lease_seconds), *(holder for _, holder in batch)],
                    )
            except Exception:  # Redis away: the holds may lapse meanwhile; try again next round
                log.warning("could not renew %d connection slots", len(held), exc_info=True)


def _millis(seconds: float) -> int:
    return max(int(seconds * 1000), 1)
