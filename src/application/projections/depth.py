"""Order-book depth kept every minute (``order_book_snapshots``; docs/depth.md).

The snapshot of a token at a minute boundary ``t`` is its book's depth (the
top levels of each side) and its ``orderbook`` channel sequence after every
event with ``at < t``. A book changes only by steps (a placement and all it
caused, or a cancel: one ``at`` each), so that is the state just before the
token's first step at or after ``t``. Only a minute in which the book had a
step gets a row, at the boundary that ends it; the minutes after it until the
next step have none and are filled when read (DepthQueries).

The levels and the sequence must be those ``GET /orderbook`` and the
WebSocket show, so the projector keeps a CommittedMarket of its own and
cuts the log into the same steps. That memory always stands where the view
stands; when it does not (a process start, a rebuild, a race lost to another
process, a write that failed) it is rebuilt from the log up to the view's
position, starting from the newest market snapshot that is not past it.

Each batch writes, per token with a step in it: the row of every minute the
batch closed (the state before the step that crossed the boundary), and the
row of the token's newest minute as it stands at the batch's end, which later
batches rewrite until a step in a later minute closes it. A step cut by the
end of a batch waits in memory for the rest of it (the view's position moves
on). Whether it was cut is read from the log (the next stored event goes on
with it), never from where the head happened to be: so the rows at a position
are the same in every process, and a process that starts from an engine
snapshot taken at that position starts from the memory the view had.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from application.live.market import CommittedMarket, channel_key, closes_step
from application.ports import EventStore, Recorded, SnapshotStore, View
from application.projections.market import bucket_of
from domain.orderbook.book import BUY, SELL
from domain.shared.aggregate import DomainEvent

DEPTH_LEVELS = 50
MINUTE = timedelta(minutes=1)
REPLAY_BATCH = 2_000

Level = tuple[int, int, int]  # (price, quantity, orders), best first


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    token_id: UUID
    t: datetime  # a whole UTC minute
    sequence: int  # the orderbook channel's
    bids: list[Level]
    asks: list[Level]


class DepthRows(Protocol):
    async def put(self, rows: Sequence[DepthSnapshot]) -> None:
        """Store each row, replacing the one of the same token and minute."""
        ...


class DepthView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[DepthRows]: ...

    async def snapshots(self, token_id: UUID, start: datetime, end: datetime) -> list[DepthSnapshot]:
        """Stored rows with ``start <= t <= end``, oldest first."""
        ...

    async def snapshot_before(self, token_id: UUID, t: datetime) -> DepthSnapshot | None:
        """The newest stored row before ``t`` (it stands for the minutes up to the next row)."""
        ...

    async def newest_minutes(self) -> dict[UUID, datetime]:
        """Each token's newest row's ``t``."""
        ...


def depth_of(market: CommittedMarket, token_id: UUID, t: datetime) -> DepthSnapshot:
    book = market.state.books[token_id]
    sequence = market.sequence(channel_key("orderbook", token_id))
    return DepthSnapshot(token_id, t, sequence, book.depth(BUY, DEPTH_LEVELS), book.depth(SELL, DEPTH_LEVELS))


@dataclass(slots=True)
class _Memory:
    """The committed market at ``position``: whole steps applied, and the events of one cut at the end."""

    market: CommittedMarket
    minutes: dict[UUID, datetime]  # each token's newest minute with a step
    position: int
    tail: list[tuple[int, DomainEvent]] = field(default_factory=list)

    def feed(self, events: Sequence[tuple[int, DomainEvent]], complete: bool, projector: _Batch | None = None) -> None:
        if not events:
            return
        pending = self.tail + list(events)
        self.market.advance(pending, complete, projector.before_step if projector else None)
        self.tail = [(p, e) for p, e in pending if p > self.market.position]
        self.position = events[-1][0]


@dataclass(slots=True)
class _Batch:
    """The rows one batch writes."""

    memory: _Memory
    rows: dict[tuple[UUID, datetime], DepthSnapshot] = field(default_factory=dict)
    touched: set[UUID] = field(default_factory=set)

    def before_step(self, token_id: UUID, at: datetime) -> None:
        minute, newest = bucket_of(at, 60), self.memory.minutes.get(token_id)
        if newest is None or minute > newest:
            if newest is not None:  # the step closes its token's newest minute: that row is final now
                self._keep(token_id, newest + MINUTE)
            self.memory.minutes[token_id] = minute
        self.touched.add(token_id)

    def finish(self) -> list[DepthSnapshot]:
        for token_id in self.touched:
            self._keep(token_id, self.memory.minutes[token_id] + MINUTE)
        return list(self.rows.values())

    def _keep(self, token_id: UUID, t: datetime) -> None:
        self.rows[(token_id, t)] = depth_of(self.memory.market, token_id, t)


class DepthProjector:
    def __init__(self, view: DepthView, store: EventStore, snapshots: SnapshotStore | None = None) -> None:
        self.view = view
        self._store, self._snapshots = store, snapshots
        self._memory: _Memory | None = None

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        memory = self._memory
        if memory is None or memory.position != expected:
            memory = await self._recall(expected)
        self._memory = None  # ahead of the view until the write commits
        rows = _Batch(memory)
        memory.feed([(r.position, r.event) for r in batch], await self._whole(batch[-1]), rows)
        written = rows.finish()
        async with self.view.writing(expected, batch[-1].position) as writer:
            if written:
                await writer.put(written)
        self._memory = memory

    async def _recall(self, expected: int) -> _Memory:
        """The memory at ``expected``, from the newest market snapshot not past it (else the start) and the log.

        The events the view set aside are left out, as they were when it went past them."""
        kept = await self._snapshots.latest() if self._snapshots is not None and expected else None
        if kept is not None and kept.position <= expected:
            market = CommittedMarket.from_snapshot(kept)
        else:
            market = CommittedMarket()
        newest = await self.view.newest_minutes()
        memory = _Memory(market, {token_id: t - MINUTE for token_id, t in newest.items()}, market.position)
        aside = {letter.position for letter in await self.view.dead_letters()}
        while memory.position < expected:
            read = await self._store.read_log(memory.position, min(REPLAY_BATCH, expected - memory.position))
            if not read:
                break
            whole = read[-1].position >= expected and await self._whole(read[-1])
            memory.feed([(r.position, r.event) for r in read if r.position not in aside], whole)
            memory.position = read[-1].position
        return memory

    async def _whole(self, last: Recorded) -> bool:
        """Whether the step a read stopped in is whole: the log's next event (if any yet) starts another."""
        following = await self._store.read_log(last.position, 1)
        return closes_step(last.event, following[0].event if following else None)
