"""Brings the committed market forward from the log, hands its updates to the feed, and snapshots it.

One task per process is the market's only writer: it reads the log after
the market's position (woken by an append in this process, by a word from
another process, or by its poll), applies whole steps, and publishes their
updates in order. While it waits for a snapshot to be taken (in a thread)
nothing moves the market, so the snapshot is of one position exactly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from application.errors import ReadModelBehind
from application.live.market import CommittedMarket, Update
from application.ports import EventStore, SnapshotStore

log = logging.getLogger(__name__)

READ_BATCH = 2_000
SNAPSHOT_EVERY = 50_000  # events between snapshots
REACH_TIMEOUT = 5.0

Publish = Callable[[list[Update]], Awaitable[None]]


class MarketFollower:
    def __init__(
        self,
        store: EventStore,
        snapshots: SnapshotStore,
        snapshot_every: int = SNAPSHOT_EVERY,
        poll_interval: float = 0.1,
        behind: int = 0,
    ) -> None:
        """``behind``: an append is read at once only when the log is that many events ahead (else at the next
        poll). 0 for a process that serves the market; an engine process, which keeps it only for snapshots,
        reads it in long batches instead of after every commit."""
        self._store, self._snapshots = store, snapshots
        self._behind = behind
        self._publish: Publish | None = None
        self._every, self._poll = snapshot_every, poll_interval
        self.market = CommittedMarket()
        self.writes_snapshots = False  # only the process holding the writer lease writes them
        self.snapshotted_at = 0
        self._wake = asyncio.Event()
        self._advanced = asyncio.Condition()

    def publish_to(self, publish: Publish) -> None:
        """Hand every step's updates, in log order, to ``publish`` (the live feed)."""
        self._publish = publish

    async def load(self) -> None:
        """Start from the newest snapshot (or the beginning), then read the log to its head."""
        kept = await self._snapshots.latest()
        if kept is not None:
            self.market = await asyncio.to_thread(CommittedMarket.from_snapshot, kept)
            self.snapshotted_at = kept.position
        await self.catch_up()
        log.info("market loaded: snapshot at %d, now at %d", kept.position if kept else 0, self.market.position)

    def wake(self, head: int | None = None) -> None:
        """Read the log now: an event store listener passes the head it reached; a caller that must not wait,
        nothing."""
        if head is None or head - self.market.position >= self._behind:
            self._wake.set()

    async def catch_up(self) -> None:
        """Read and apply the log until a read comes back short (the head: a transaction's end)."""
        limit = READ_BATCH
        while True:
            batch = await self._store.read_log(self.market.position, limit)
            complete = len(batch) < limit
            before = self.market.position
            updates = self.market.advance([(r.position, r.event) for r in batch], complete)
            if updates and self._publish is not None:
                try:
                    await self._publish(updates)
                except Exception:  # subscribers see a gap in sequences and resubscribe
                    log.exception("the live feed could not publish")
            if self.market.position > before:
                async with self._advanced:
                    self._advanced.notify_all()
                await self._snapshot_if_due()
            if complete:
                return
            limit = READ_BATCH if self.market.position > before else limit * 2  # one step longer than a read

    async def run(self) -> None:
        """Follow the log until cancelled; a failing read is retried, never fatal."""
        failures = 0
        while True:
            self._wake.clear()
            try:
                await self.catch_up()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("could not follow the log; trying again")
            delay = min(self._poll * 2**failures, 5.0)
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    async def reach(self, position: int, timeout: float = REACH_TIMEOUT) -> CommittedMarket:
        """The market once it holds ``position``; ReadModelBehind if it does not within ``timeout``."""
        if self.market.position >= position:
            return self.market
        self.wake()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._advanced:
            while self.market.position < position:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise ReadModelBehind(f"the live market has not reached position {position} yet")
                try:
                    await asyncio.wait_for(self._advanced.wait(), remaining)
                except TimeoutError:
                    pass
        return self.market

    async def _snapshot_if_due(self) -> None:
        if not self.writes_snapshots or self.market.position - self.snapshotted_at < self._every:
            return
        await self.snapshot()

    async def snapshot(self) -> None:
        """Write a snapshot of the market now (taken in a thread; nothing moves the market meanwhile)."""
        try:
            snapshot = await asyncio.to_thread(self.market.snapshot)
            await self._snapshots.save(snapshot)
        except Exception:
            log.exception("could not write a snapshot; the next one is tried after as many events again")
        else:
            log.info("snapshot written at position %d", snapshot.position)
        self.snapshotted_at = self.market.position
