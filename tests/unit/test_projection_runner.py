"""The projection runner with in-memory views: poison events are set aside, the rest applied exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.eventstore.memory import InMemoryEventStore
from application.ports import DeadLetter, ProjectionRaced, Recorded, ViewProgress, ViewUnavailable
from application.projections.runner import ProjectionRunner, ProjectionsBehind
from domain.creator.categories import CATALOG_ID
from domain.creator.events import CategoryAdded

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class TickingClock:
    """Each reading a second after the last: first and last failure times differ, and say which is which."""

    def __init__(self) -> None:
        self._now = T0

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


class MemoryView:
    """Rows and position change together, like the SQL views; a write from a stale position is refused."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.at = 0
        self.rows: list[int] = []  # the positions applied, in the order they were
        self.letters: list[DeadLetter] = []

    async def position(self) -> int:
        return self.at

    async def progress(self) -> ViewProgress:
        return ViewProgress(self.at, len(self.letters))

    async def reset(self) -> None:
        self.at, self.rows, self.letters = 0, [], []

    async def set_aside(self, expected: int, letter: DeadLetter) -> None:
        await asyncio.sleep(0)
        if self.at != expected:
            raise ProjectionRaced(f"{self.name} is no longer at {expected}")
        self.letters.append(letter)
        self.at = letter.position

    async def dead_letters(self) -> list[DeadLetter]:
        return list(self.letters)


class Projector:
    """Applies a batch whole or not at all; refuses any batch holding a poison position; the first ``failing``
    calls fail with ``failure`` whatever the batch."""

    def __init__(
        self, view: MemoryView, poison: Sequence[int] = (), failing: int = 0, failure: Exception | None = None
    ) -> None:
        self.view = view
        self.poison = set(poison)
        self.failing = failing
        self.failure = failure or ConnectionResetError("connection reset by peer")
        self.calls = 0

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        self.calls += 1
        await asyncio.sleep(0)  # let another runner in between, as a database round trip would
        if self.view.at != expected:
            raise ProjectionRaced(f"{self.view.name} is no longer at {expected}")
        if self.failing:
            self.failing -= 1
            raise self.failure
        if bad := [r.position for r in batch if r.position in self.poison]:
            raise ValueError(f"cannot apply the event at {bad[0]}")
        self.view.rows += [r.position for r in batch]
        self.view.at = batch[-1].position


def added(version: int) -> CategoryAdded:
    return CategoryAdded(
        originator_id=CATALOG_ID, originator_version=version, at=T0, category_id=UUID(int=version),
        slug=f"c{version}", name=f"C{version}",
    )


async def log_of(n: int) -> InMemoryEventStore:
    store = InMemoryEventStore()
    await store.append([added(v) for v in range(1, n + 1)])
    return store


def runner(store: InMemoryEventStore, *projectors: Projector, batch_size: int = 100) -> ProjectionRunner:
    return ProjectionRunner(store, projectors, batch_size=batch_size, clock=TickingClock(), retry_delay=0)


async def test_a_poison_event_is_set_aside_and_every_event_around_it_is_applied_exactly_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    view = MemoryView("categories")
    store = await log_of(20)
    with caplog.at_level(logging.ERROR):
        await runner(store, Projector(view, poison=[7, 13])).catch_up()
    assert view.rows == [p for p in range(1, 21) if p not in (7, 13)]
    assert view.at == 20
    assert [letter.position for letter in view.letters] == [7, 13]
    letter = view.letters[0]
    assert (letter.view, letter.topic) == ("categories", "domain.creator.events:CategoryAdded")
    assert (letter.stream_id, letter.stream_version) == (CATALOG_ID, 7)
    assert letter.error == "ValueError: cannot apply the event at 7"
    assert letter.attempts >= 3 + 3  # the batch's tries, then its own alone
    assert T0 < letter.first_failed_at < letter.last_failed_at
    alerts = [r for r in caplog.records if r.levelno == logging.ERROR and "dead letter" in r.getMessage()]
    assert [(r.view, r.position) for r in alerts] == [("categories", 7), ("categories", 13)]  # type: ignore[attr-defined]
    assert "cannot apply the event at 7" in alerts[0].getMessage()


async def test_poison_at_a_batch_edge_or_alone_in_its_batch_is_set_aside_too() -> None:
    view = MemoryView("categories")
    store = await log_of(9)
    await runner(store, Projector(view, poison=[1, 3, 4, 9]), batch_size=3).catch_up()
    assert view.rows == [2, 5, 6, 7, 8]
    assert [letter.position for letter in view.letters] == [1, 3, 4, 9]
    assert view.at == 9


async def test_a_failure_that_heals_on_a_retry_sets_nothing_aside() -> None:
    view = MemoryView("categories")
    projector = Projector(view, failing=2)  # a dropped connection: the third try gets a fresh one
    await runner(await log_of(5), projector).catch_up()
    assert view.rows == [1, 2, 3, 4, 5]
    assert view.letters == []
    assert projector.calls == 3


async def test_a_database_that_stays_unavailable_sets_nothing_aside_and_the_view_waits_where_it_was() -> None:
    view = MemoryView("categories")
    projector = Projector(view, failing=10**6, failure=ViewUnavailable("connection refused"))
    run = runner(await log_of(5), projector)
    with pytest.raises(ProjectionsBehind) as behind:
        await run.catch_up()
    assert list(behind.value.errors) == ["categories"]
    assert (view.at, view.rows, view.letters) == (0, [], [])
    assert [s.failing for s in run.standing()] == [True]
    projector.failing = 0  # the database is back
    await run.catch_up()
    assert (view.at, view.rows, view.letters) == (5, [1, 2, 3, 4, 5], [])
    assert [(s.position, s.dead_letters, s.failing) for s in run.standing()] == [(5, 0, False)]


async def test_one_views_poison_or_outage_does_not_hold_up_another_view() -> None:
    poisoned, down, healthy = MemoryView("poisoned"), MemoryView("down"), MemoryView("healthy")
    run = runner(
        await log_of(30),
        Projector(poisoned, poison=[2]),
        Projector(down, failing=10**6, failure=ViewUnavailable("disk full")),
        Projector(healthy),
        batch_size=7,
    )
    with pytest.raises(ProjectionsBehind) as behind:
        await run.catch_up()
    assert list(behind.value.errors) == ["down"]
    assert healthy.rows == list(range(1, 31))
    assert poisoned.rows == [p for p in range(1, 31) if p != 2] and poisoned.at == 30
    assert down.at == 0 and down.letters == []


async def test_the_runner_counts_dead_letters_for_the_metrics_and_a_rebuild_retries_them() -> None:
    view = MemoryView("categories")
    projector = Projector(view, poison=[3])
    run = runner(await log_of(6), projector)
    await run.catch_up()
    assert [(s.name, s.position, s.dead_letters) for s in run.standing()] == [("categories", 6, 1)]
    assert [s.dead_letters for s in await run.status()] == [(3,)]
    projector.poison.clear()  # the projector was fixed
    await run.rebuild("categories")
    assert view.rows == [1, 2, 3, 4, 5, 6]
    assert view.letters == []
    assert [s.dead_letters for s in run.standing()] == [0]


async def test_two_runners_racing_over_a_poison_event_apply_each_event_once_and_set_it_aside_once() -> None:
    view = MemoryView("categories")
    store = await log_of(40)
    runners = [runner(store, Projector(view, poison=[11, 12, 30]), batch_size=9) for _ in range(2)]
    await asyncio.gather(*(r.catch_up() for r in runners))
    assert view.rows == [p for p in range(1, 41) if p not in (11, 12, 30)]
    assert [letter.position for letter in view.letters] == [11, 12, 30]


async def test_a_replay_can_stop_at_a_fixed_position() -> None:
    first, second = MemoryView("first"), MemoryView("second")
    run = runner(await log_of(10), Projector(first), Projector(second, poison=[4]), batch_size=3)
    await run.catch_up(until=5)
    assert (first.rows, second.rows) == ([1, 2, 3, 4, 5], [1, 2, 3, 5])
    await run.catch_up("second", until=8)
    assert (first.at, second.at) == (5, 8)


async def test_appends_gather_into_one_batch_and_a_waiting_reader_cuts_the_gathering_short() -> None:
    store = await log_of(2)
    view = MemoryView("view")
    projector = Projector(view)
    run = ProjectionRunner(store, [projector], poll_interval=60, gather=60, clock=TickingClock())
    task = asyncio.create_task(run.run())
    try:
        await asyncio.sleep(0.05)
        assert view.at == 2 and projector.calls == 1  # the first pass reads what is there
        for version in (3, 4, 5):
            await store.append([added(version)])
            run.wake()
        await asyncio.sleep(0.05)
        assert view.at == 2  # gathering: the appends wait for those that follow
        assert await run.wait_for("view", 5, timeout=1.0)  # a reader: at once, in one batch
        assert projector.calls == 2 and view.rows == [1, 2, 3, 4, 5]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
