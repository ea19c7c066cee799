"""The depth view: the snapshot of a book at a minute boundary is what a committed market fed every event before it
says (levels and orderbook sequence), whatever the batches, the process or the memory it started from; the read
fills the minutes without a row from the row before."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.eventstore.memory import InMemoryEventStore
from adapters.eventstore.snapshots import RecorderSnapshots
from application.errors import InvalidQuery
from application.live.market import BookEvent, CommittedMarket
from application.ports import DeadLetter, ProjectionRaced, Recorded, ViewProgress
from application.projections.depth import MINUTE, DepthProjector, DepthSnapshot, depth_of
from application.projections.market import bucket_of
from application.queries import DepthQueries
from domain.orderbook.book import NewOrder
from tests.unit.test_committed_market import LOT, MID, TICK, USERS, script_of, trade

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class JumpingClock:
    """Moves on by a random 0-150 seconds at each command: minutes with many steps, minutes with none."""

    def __init__(self, seed: int) -> None:
        self._rng, self._at = random.Random(seed), T0

    def now(self) -> datetime:
        self._at += timedelta(seconds=self._rng.choice([0, 1, 5, 20, 59, 61, 150]), milliseconds=self._rng.randint(0, 999))
        return self._at


class SetClock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


class MemoryDepthView:
    """The view port in memory, with the SQL view's rules: rows and position change together, or not at all."""

    name = "depth"

    def __init__(self) -> None:
        self.at = 0
        self.rows: dict[tuple[UUID, datetime], DepthSnapshot] = {}
        self.letters: list[DeadLetter] = []

    async def position(self) -> int:
        return self.at

    async def progress(self) -> ViewProgress:
        return ViewProgress(self.at, len(self.letters))

    async def reset(self) -> None:
        self.at, self.rows, self.letters = 0, {}, []

    async def set_aside(self, expected: int, letter: DeadLetter) -> None:
        self._check(expected)
        self.letters.append(letter)
        self.at = letter.position

    async def dead_letters(self) -> list[DeadLetter]:
        return list(self.letters)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[MemoryDepthView._Rows]:
        self._check(expected)
        rows = self._Rows()
        yield rows
        self.rows.update({(r.token_id, r.t): r for r in rows.put_rows})
        self.at = position

    class _Rows:
        def __init__(self) -> None:
            self.put_rows: list[DepthSnapshot] = []

        async def put(self, rows: Sequence[DepthSnapshot]) -> None:
            self.put_rows += rows

    async def snapshots(self, token_id: UUID, start: datetime, end: datetime) -> list[DepthSnapshot]:
        return sorted((r for (k, t), r in self.rows.items() if k == token_id and start <= t <= end), key=lambda r: r.t)

    async def snapshot_before(self, token_id: UUID, t: datetime) -> DepthSnapshot | None:
        before = [r for (k, at), r in self.rows.items() if k == token_id and at < t]
        return max(before, key=lambda r: r.t, default=None)

    async def newest_minutes(self) -> dict[UUID, datetime]:
        newest: dict[UUID, datetime] = {}
        for token_id, t in self.rows:
            newest[token_id] = max(t, newest.get(token_id, t))
        return newest

    def _check(self, expected: int) -> None:
        if self.at != expected:
            raise ProjectionRaced(f"not at {expected}")


async def project(projector: DepthProjector, store: InMemoryEventStore, size: int, until: int | None = None) -> None:
    """What the runner does: batches of ``size`` after the view's position."""
    view = projector.view
    while True:
        at = await view.position()
        limit = size if until is None else min(size, until - at)
        batch = await store.read_log(at, limit) if limit > 0 else []
        if not batch:
            return
        await projector.project(batch, at)


def by_the_rule(log: list[Recorded]) -> dict[tuple[UUID, datetime], DepthSnapshot]:
    """Every row by the rule, each from a market fed the log's prefix of events before its minute."""
    wanted = {(r.event.originator_id, bucket_of(r.event.at, 60) + MINUTE) for r in log if isinstance(r.event, BookEvent)}
    rows = {}
    for token_id, t in wanted:
        market = CommittedMarket()
        market.advance([(r.position, r.event) for r in log if r.event.at < t], complete=True)
        rows[(token_id, t)] = depth_of(market, token_id, t)
    return rows


@pytest.fixture(scope="module")
def busy() -> tuple[InMemoryEventStore, list[Recorded]]:
    store, _ = asyncio.run(trade(script_of(7, 260), JumpingClock(7)))
    return store, asyncio.run(store.read_log(0, 100_000))


@pytest.mark.parametrize("size", [1, 3, 1_000])
def test_each_row_is_the_book_and_sequence_after_every_event_before_its_minute_however_the_log_is_cut(busy, size) -> None:
    store, log = busy
    view = MemoryDepthView()
    asyncio.run(project(DepthProjector(view, store), store, size))
    expected = by_the_rule(log)
    assert len({t for _, t in expected}) > 20 and any(r.bids and r.asks and r.sequence for r in expected.values())
    assert view.rows == expected
    assert view.at == log[-1].position


def test_a_new_process_rebuilds_its_memory_from_the_log_and_goes_on_as_if_never_stopped(busy) -> None:
    store, log = busy
    view = MemoryDepthView()
    for cut in (5, 77, 78, 200, 201, 333):  # a new projector (a process start) at each cut, some inside a step
        asyncio.run(project(DepthProjector(view, store), store, 4, until=log[cut].position))
    asyncio.run(project(DepthProjector(view, store), store, 9))
    assert view.rows == by_the_rule(log)


def test_a_memory_rebuilt_from_a_market_snapshot_gives_the_same_rows(busy) -> None:
    store, log = busy
    snapshots = RecorderSnapshots(store)
    market = CommittedMarket()
    market.advance([(r.position, r.event) for r in log[:150]], complete=False)  # as the follower: whole steps only
    asyncio.run(snapshots.save(market.snapshot()))
    view = MemoryDepthView()
    asyncio.run(project(DepthProjector(view, store, snapshots), store, 11, until=log[120].position))  # snapshot ahead: unused
    asyncio.run(project(DepthProjector(view, store, snapshots), store, 11, until=log[260].position))  # from the snapshot
    asyncio.run(project(DepthProjector(view, store, snapshots), store, 11))
    assert view.rows == by_the_rule(log)


def test_a_market_snapshot_at_the_views_position_does_not_apply_a_step_the_view_has_not_seen_whole(busy) -> None:
    """A batch that ends where a step ends, short of the head: the next process may start from an engine snapshot
    taken exactly there (the engine snaps at its commits). The rows must still count that step in its own minute."""
    store, log = busy
    ends = [i for i in range(40, len(log) - 1) if _step_boundary(log[i + 1].event) and isinstance(log[i].event, BookEvent)]
    for cut in ends[:: max(len(ends) // 6, 1)]:
        snapshots = RecorderSnapshots(store)
        market = CommittedMarket()
        market.advance([(r.position, r.event) for r in log[: cut + 1]], complete=True)
        asyncio.run(snapshots.save(market.snapshot()))
        view = MemoryDepthView()
        asyncio.run(project(DepthProjector(view, store, snapshots), store, 7, until=log[cut].position))
        asyncio.run(project(DepthProjector(view, store, snapshots), store, 7))  # a restart, from the snapshot
        assert view.rows == by_the_rule(log), f"cut at {cut}"


def _step_boundary(event) -> bool:  # type: ignore[no-untyped-def]
    return not isinstance(event, BookEvent) or type(event).__name__ == "OrderAccepted"


def test_two_processes_taking_turns_on_one_view_each_catch_up_their_memory(busy) -> None:
    store, log = busy
    view = MemoryDepthView()
    first, second = DepthProjector(view, store), DepthProjector(view, store)

    async def alternate() -> None:
        turn = 0
        while (at := view.at) < log[-1].position:
            await (first, second)[turn % 3 == 2].project(await store.read_log(at, 13), at)
            turn += 1

    asyncio.run(alternate())
    assert view.rows == by_the_rule(log)


def test_a_lost_race_writes_nothing_and_the_next_batch_starts_from_the_log() -> None:
    store, _ = asyncio.run(trade(script_of(3, 60), JumpingClock(3)))
    log = asyncio.run(store.read_log(0, 100_000))
    view = MemoryDepthView()
    projector, other = DepthProjector(view, store), DepthProjector(view, store)
    asyncio.run(projector.project(log[:40], 0))
    asyncio.run(other.project(log[40:50], 40))  # another process moves the view meanwhile
    with pytest.raises(ProjectionRaced):
        asyncio.run(projector.project(log[40:50], 40))
    assert view.at == 50
    asyncio.run(project(projector, store, 17))
    assert view.rows == by_the_rule(log)


def test_a_minute_is_closed_by_the_first_step_at_or_after_its_end_and_a_step_on_the_boundary_is_after_it() -> None:
    clock = SetClock()

    async def scene() -> tuple[InMemoryEventStore, UUID]:
        store, exchange = await trade([], clock)
        token_id = next(iter(exchange.state.books))
        ids = iter(range(90_000, 91_000))

        async def place(at: datetime, user: UUID, side: str, price: int, lots: int) -> None:
            clock.at = at
            await exchange.place(token_id, NewOrder(UUID(int=next(ids)), user, side, "limit", price=price, quantity=lots * LOT))

        await place(T0 + timedelta(seconds=10), USERS[0], "sell", MID, 2)
        await place(T0 + timedelta(seconds=50), USERS[1], "buy", MID - TICK, 1)
        await place(T0 + timedelta(minutes=3), USERS[1], "buy", MID, 1)  # on the boundary: takes half the ask
        await place(T0 + timedelta(minutes=3, seconds=1), USERS[2], "buy", MID - TICK, 1)
        return store, token_id

    store, token_id = asyncio.run(scene())
    view = MemoryDepthView()
    asyncio.run(project(DepthProjector(view, store), store, 1))
    mine = sorted((r for (k, _), r in view.rows.items() if k == token_id), key=lambda r: r.t)
    assert [(r.t - T0, r.sequence, r.bids, r.asks) for r in mine] == [
        (MINUTE, 2, [(MID - TICK, LOT, 1)], [(MID, 2 * LOT, 1)]),
        (4 * MINUTE, 4, [(MID - TICK, 2 * LOT, 2)], [(MID, LOT, 1)]),
    ]

    queries = DepthQueries(view, Consistency(), SetClock())
    queries._clock.at = T0 + timedelta(minutes=5, seconds=30)  # type: ignore[attr-defined]
    points = asyncio.run(queries.snapshots(token_id, T0 - timedelta(minutes=2), None, listed_at=T0 - timedelta(seconds=30)))
    assert [(p.t - T0, p.sequence) for p in points] == [(timedelta(0), 0), (MINUTE, 2), (2 * MINUTE, 2), (3 * MINUTE, 2), (4 * MINUTE, 4), (5 * MINUTE, 4)]
    assert points[2].bids == points[1].bids and points[0].bids == points[0].asks == []


class Consistency:
    async def reach_head(self, view: str) -> None:
        pass


def test_the_read_answers_the_last_hour_by_default_and_refuses_a_reversed_or_too_long_range() -> None:
    clock = SetClock()
    clock.at = T0 + timedelta(hours=5, seconds=30)
    queries = DepthQueries(MemoryDepthView(), Consistency(), clock)
    token = UUID(int=5)
    points = asyncio.run(queries.snapshots(token, None, None, listed_at=T0))
    assert len(points) == 60 and points[-1].t == T0 + timedelta(hours=5)
    longest = asyncio.run(queries.snapshots(token, T0, T0 + timedelta(minutes=1439), listed_at=T0))
    assert len(longest) == 301 and longest[-1].t == T0 + timedelta(hours=5), "1,440 minutes asked; none after now"
    assert asyncio.run(queries.snapshots(token, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2), listed_at=T0)) == []
    assert asyncio.run(queries.snapshots(token, None, None, listed_at=clock.at)) == []  # listed a moment ago
    with pytest.raises(InvalidQuery):
        asyncio.run(queries.snapshots(token, T0, T0 + timedelta(minutes=1440), listed_at=T0))
    with pytest.raises(InvalidQuery):
        asyncio.run(queries.snapshots(token, T0 + timedelta(seconds=1), T0, listed_at=T0))
