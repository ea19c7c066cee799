"""The event store port: the same assertions against memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from adapters.eventstore.memory import InMemoryEventStore
from adapters.eventstore.postgres import PostgresEventStore
from adapters.eventstore.recorder import RecorderEventStore
from adapters.eventstore.snapshots import RecorderSnapshots
from adapters.eventstore.sqlite import SqliteEventStore
from application.live.market import SNAPSHOT_FORMAT, CommittedMarket, Snapshot
from application.ports import ConcurrencyConflict, Fenced
from domain.creator.events import CategoryAdded, CategoryRenamed

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def added(stream: UUID, version: int, name: str = "Art") -> CategoryAdded:
    return CategoryAdded(
        originator_id=stream,
        originator_version=version,
        at=T0 + timedelta(seconds=version),
        category_id=uuid4(),
        slug=name.lower(),
        name=name,
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def open_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], RecorderEventStore]:
    """Opens a handle on one database; for memory there is only ever the one handle."""
    if kind == "memory":
        only = InMemoryEventStore()
        return lambda: only
    if kind == "sqlite":
        return lambda: SqliteEventStore(tmp_path / "events.sqlite3")
    url = request.getfixturevalue("postgres_url")
    return lambda: PostgresEventStore(url)


@pytest.fixture
async def store(open_store: Callable[[], RecorderEventStore]) -> AsyncIterator[RecorderEventStore]:
    handle = open_store()
    yield handle
    await handle.close()


async def test_an_empty_log_has_head_zero_and_nothing_to_read(store: RecorderEventStore) -> None:
    assert await store.head() == 0
    assert await store.read_log(0, 10) == []
    assert await store.read_stream(uuid4()) == []


async def test_appended_events_come_back_equal_from_their_stream(store: RecorderEventStore) -> None:
    stream = uuid4()
    events = [added(stream, 1, "Art"), CategoryRenamed(originator_id=stream, originator_version=2, at=T0, category_id=uuid4(), name="Fine Art")]
    position = await store.append(events)
    assert position == 2
    assert await store.read_stream(stream) == events
    assert await store.read_stream(stream, after_version=1) == events[1:]


async def test_positions_run_one_two_three_across_streams(store: RecorderEventStore) -> None:
    a, b = uuid4(), uuid4()
    assert await store.append([added(a, 1)]) == 1
    assert await store.append([added(b, 1), added(b, 2, "Music")]) == 3
    assert await store.append([added(a, 2, "Food")]) == 4
    log = await store.read_log(0, 100)
    assert [r.position for r in log] == [1, 2, 3, 4]
    assert [(r.event.originator_id, r.event.originator_version) for r in log] == [(a, 1), (b, 1), (b, 2), (a, 2)]
    assert [r.position for r in await store.read_log(2, 1)] == [3]
    assert await store.head() == 4


async def test_a_second_writer_at_a_taken_version_is_refused_and_stores_nothing(store: RecorderEventStore) -> None:
    a, b = uuid4(), uuid4()
    await store.append([added(a, 1)])
    with pytest.raises(ConcurrencyConflict):
        await store.append([added(b, 1), added(a, 1, "Other")])
    assert await store.read_stream(b) == []
    assert await store.head() == 1


async def test_a_refused_append_leaves_no_hole_in_the_positions(store: RecorderEventStore) -> None:
    a = uuid4()
    await store.append([added(a, 1)])
    for _ in range(3):
        with pytest.raises(ConcurrencyConflict):
            await store.append([added(a, 1, "Again")])
    assert await store.append([added(a, 2, "Next")]) == 2
    assert [r.position for r in await store.read_log(0, 10)] == [1, 2]


async def test_a_batch_with_one_version_twice_is_refused(store: RecorderEventStore) -> None:
    a = uuid4()
    with pytest.raises(ConcurrencyConflict):
        await store.append([added(a, 1), added(a, 1, "Twice")])
    assert await store.head() == 0


async def test_an_empty_append_writes_nothing_and_returns_the_head(store: RecorderEventStore) -> None:
    await store.append([added(uuid4(), 1)])
    assert await store.append([]) == 1
    assert await store.head() == 1


async def test_listeners_hear_the_new_head_after_each_append(store: RecorderEventStore) -> None:
    heard: list[int] = []
    store.listen(heard.append)
    await store.append([added(uuid4(), 1)])
    await store.append([added(uuid4(), 1), added(uuid4(), 1)])
    assert heard == [1, 3]


async def test_concurrent_appends_get_distinct_gap_free_positions_and_a_tailing_reader_misses_none(
    store: RecorderEventStore,
) -> None:
    writers, per_writer = 8, 10
    streams = [uuid4() for _ in range(writers)]

    async def write(stream: UUID) -> list[int]:
        return [await store.append([added(stream, v)]) for v in range(1, per_writer + 1)]

    seen: list[int] = []

    async def tail() -> None:
        while len(seen) < writers * per_writer:
            batch = await store.read_log(seen[-1] if seen else 0, 7)
            seen.extend(r.position for r in batch)
            await asyncio.sleep(0)

    results, _ = await asyncio.gather(asyncio.gather(*(write(s) for s in streams)), asyncio.wait_for(tail(), 30))
    positions = sorted(p for r in results for p in r)
    assert positions == list(range(1, writers * per_writer + 1))
    assert seen == positions
    for stream in streams:
        assert [e.originator_version for e in await store.read_stream(stream)] == list(range(1, per_writer + 1))


async def test_two_handles_on_one_database_see_each_other_and_only_one_wins_a_version(
    kind: str, open_store: Callable[[], RecorderEventStore]
) -> None:
    first, second = open_store(), open_store()
    try:
        a = uuid4()
        outcomes = await asyncio.gather(
            first.append([added(a, 1, "First")]), second.append([added(a, 1, "Second")]), return_exceptions=True
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["ConcurrencyConflict", "int"]
        winner = next(o for o in outcomes if isinstance(o, int))
        assert winner == 1
        assert await first.read_stream(a) == await second.read_stream(a)
        assert len(await second.read_stream(a)) == 1
    finally:
        await first.close()
        if second is not first:
            await second.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_events_survive_closing_and_reopening_the_store(
    kind: str, open_store: Callable[[], RecorderEventStore]
) -> None:
    a = uuid4()
    first = open_store()
    events = [added(a, 1), added(a, 2, "Music")]
    await first.append(events)
    await first.close()
    again = open_store()
    try:
        assert await again.read_stream(a) == events
        assert await again.head() == 2
    finally:
        await again.close()


# ----- the engine's fence: one writer, proved by the store -----


async def test_each_claim_gives_a_higher_fence_on_every_handle(open_store: Callable[[], RecorderEventStore]) -> None:
    one, two = open_store(), open_store()
    first = await one.claim_writer()
    second = await two.claim_writer()
    third = await one.claim_writer()
    assert first < second < third


async def test_an_append_with_an_old_fence_stores_nothing_and_a_current_one_goes_in(
    open_store: Callable[[], RecorderEventStore],
) -> None:
    old_writer, new_writer = open_store(), open_store()
    old = await old_writer.claim_writer()
    await old_writer.append([added(uuid4(), 1)], fence=old)
    new = await new_writer.claim_writer()
    head = await new_writer.head()

    with pytest.raises(Fenced):
        await old_writer.append([added(uuid4(), 1), added(uuid4(), 1, "Music")], fence=old)

    assert await new_writer.head() == head
    assert await new_writer.append([added(uuid4(), 1)], fence=new) == head + 1
    assert await old_writer.append([added(uuid4(), 1, "Film")]) == head + 2, "unfenced appends (sign-in, catalogue) go on"


async def test_appends_racing_a_claim_either_commit_before_it_or_are_refused(
    open_store: Callable[[], RecorderEventStore],
) -> None:
    """A new writer's claim, taken while an old writer keeps appending: every append the old writer was told
    succeeded is in the log the new writer reads after its claim; none lands after it."""
    old_writer, new_writer = open_store(), open_store()
    old = await old_writer.claim_writer()
    acknowledged: list[int] = []

    async def keep_writing() -> None:
        while True:
            try:
                acknowledged.append(await old_writer.append([added(uuid4(), 1)], fence=old))
            except Fenced:
                return
            await asyncio.sleep(0)

    writing = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.05)
    await new_writer.claim_writer()
    head_after_claim = await new_writer.head()
    await asyncio.wait_for(writing, 10)

    assert acknowledged and max(acknowledged) <= head_after_claim
    assert await new_writer.head() == head_after_claim


# ----- snapshots of the committed market, beside the log -----


async def test_the_newest_snapshot_is_the_one_read_back_and_only_a_few_are_kept(
    open_store: Callable[[], RecorderEventStore],
) -> None:
    writer, reader = open_store(), open_store()
    snapshots = RecorderSnapshots(writer, keep=2)
    assert await snapshots.latest() is None
    for position in (10, 30, 20):
        await snapshots.save(market_at(position))

    found = await RecorderSnapshots(reader).latest()

    assert found == market_at(30)
    assert writer.recorder.latest_snapshot()[0] == 30  # type: ignore[attr-defined]


async def test_a_snapshot_in_another_format_or_that_does_not_decode_is_skipped(
    open_store: Callable[[], RecorderEventStore],
) -> None:
    store = open_store()
    snapshots = RecorderSnapshots(store)
    await snapshots.save(dataclasses.replace(market_at(5), format=SNAPSHOT_FORMAT + 1))
    assert await snapshots.latest() is None
    store.recorder.save_snapshot(6, b'{"format": 1, "position": "six"}', 3)  # type: ignore[attr-defined]
    assert await snapshots.latest() is None
    await snapshots.save(market_at(7))
    assert await snapshots.latest() == market_at(7)


def market_at(position: int) -> Snapshot:
    market = CommittedMarket(position=position)
    market.state.ledger.credit(UUID(int=position), "USD", position)
    return market.snapshot()
