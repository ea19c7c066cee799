"""Who writes: the engine runs in the one process holding the writer lease; the others stand by.

A process started with the engine on tries to take the lease before it
serves. If another process holds it, this one serves reads and the live feed
and tries again every second; when the holder releases the lease (a clean
stop) or loses it (killed, its database connection cut), one standby takes
it, claims a new fence, rebuilds from the newest snapshot and the log, and
leads. A leader that loses its lease stands down at once; the fence keeps any
batch it still had on its way out of the log.

Processes on Redis also tell each other of appends, so a follower reads the
log at once instead of at its next poll; the word is best effort.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from application.live.follower import MarketFollower
from application.tasks import stop_task
from application.ports import EventStore, PubSub, WriterLease
from application.trading.exchange import Exchange

log = logging.getLogger(__name__)

LEASE_RETRY = 1.0  # seconds between a standby's attempts to take the lease


class EngineRole:
    def __init__(
        self,
        lease: WriterLease,
        store: EventStore,
        exchange: Exchange,
        follower: MarketFollower | None,
        while_leading: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``follower``: the committed market this process keeps, whose snapshots it writes while it leads
        (``serve``; an ``engine`` process keeps none). ``while_leading``: run from the moment this process leads
        until it stands down (the command queue of an ``engine`` process: a standby takes no commands)."""
        self._lease, self._store, self._exchange, self._follower = lease, store, exchange, follower
        self._while_leading = while_leading
        self._duty: asyncio.Task[None] | None = None
        self.leading = False
        self._said_standby = False

    async def try_to_lead(self) -> bool:
        try:
            if not await self._lease.acquire():
                if not self._said_standby:
                    log.warning("another process holds the engine's writer lease: standing by")
                    self._said_standby = True
                return False
        except Exception:
            log.exception("could not ask for the writer lease")
            return False
        try:
            fence = await self._store.claim_writer()
            await self._exchange.start(fence)
        except Exception:
            log.exception("took the writer lease but could not start the engine; letting it go")
            self._exchange.stand_down("the engine could not start")
            await self._lease.release()
            return False
        if self._follower is not None:
            self._follower.writes_snapshots = True
        self.leading, self._said_standby = True, False
        if self._while_leading is not None:
            self._duty = asyncio.create_task(self._while_leading(), name="engine-duty")
        return True

    async def stand_down(self, reason: str) -> None:
        self.leading = False
        if self._follower is not None:
            self._follower.writes_snapshots = False
        self._exchange.stand_down(reason)
        await self.stop_duty()

    async def stop_duty(self) -> None:
        """Stop what runs while leading (a stopping process: no new commands; those taken are answered)."""
        if self._duty is not None:
            await stop_task(self._duty)
            self._duty = None

    async def run(self) -> None:
        """Lead while the lease holds; stand by and try again when it does not. Until cancelled."""
        while True:
            if self.leading:
                await self._lease.lost()
                await self.stand_down("the writer lease was lost")
            elif not await self.try_to_lead():
                await asyncio.sleep(LEASE_RETRY)


class AppendNudges:
    """One word per burst of appends on a pub/sub channel, heard by every process following the log: the head
    the log reached, so a listener that reads in batches can tell whether it is worth a read yet."""

    CHANNEL = "log:appended"

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub
        self._due = asyncio.Event()
        self._head = 0
        self._sender: asyncio.Task[None] | None = None
        self._complained = 0.0

    def appended(self, head: int) -> None:
        """An event store listener: never raises, never waits."""
        self._head = max(self._head, head)
        self._due.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send(), name="append-nudges")

    async def _send(self) -> None:
        while self._due.is_set():
            self._due.clear()
            try:
                await self._pubsub.publish(self.CHANNEL, b"%d" % self._head)
            except Exception as error:
                self._complain(f"could not tell other processes of an append: {error}")

    async def listen(self, wake: Callable[[int | None], None]) -> None:
        """Wake the follower on every word from another process; reconnect after a failure. Until cancelled."""
        while True:
            try:
                async with self._pubsub.subscribe([self.CHANNEL], max_queue=10) as words:
                    async for _, word in words:
                        wake(int(word) if word.isdigit() else None)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._complain(f"not hearing other processes' appends (polling meanwhile): {error}")
            await asyncio.sleep(1)

    def _complain(self, message: str) -> None:
        now = time.monotonic()
        if now - self._complained > 10:
            log.warning(message)
            self._complained = now



class LeasedDuty:
    """Work that one process at a time may do (the settler): run while this process holds ``lease``; stand by,
    trying every second, while another does."""

    def __init__(self, lease: WriterLease, duty: Callable[[], Awaitable[None]], name: str) -> None:
        self._lease, self._duty, self._name = lease, duty, name
        self.holding = False

    async def run(self) -> None:
        """Until cancelled; the lease is let go when it is."""
        said_standby = False
        while True:
            try:
                got = await self._lease.acquire()
            except Exception:
                log.exception("could not ask for the %s lease", self._name)
                got = False
            if not got:
                if not said_standby:
                    log.warning("another process holds the %s lease: standing by", self._name)
                    said_standby = True
                await asyncio.sleep(LEASE_RETRY)
                continue
            said_standby = False
            log.info("took the %s lease", self._name)
            self.holding = True
            duty = asyncio.create_task(self._duty(), name=self._name)
            lost = asyncio.create_task(self._lease.lost(), name=f"{self._name}-lease")
            try:
                await asyncio.wait([duty, lost], return_when=asyncio.FIRST_COMPLETED)
            finally:
                self.holding = False
                await stop_task(duty)
                await stop_task(lost)
                if lost.done() and not lost.cancelled():
                    log.critical("lost the %s lease: standing by", self._name)
                else:
                    await self._lease.release()
