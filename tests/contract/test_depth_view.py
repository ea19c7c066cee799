"""The depth view on SQLite and PostgreSQL: a busy log projected in small batches holds every row the rule asks for,
a rebuild (reset and replay) writes the same rows, and a new process goes on from where the view stands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from uuid import UUID

import pytest

from adapters.views.database import ViewDatabase
from adapters.views.depth import SqlDepthView
from application.projections.depth import MINUTE, DepthProjector, DepthSnapshot
from application.projections.runner import ProjectionRunner
from application.queries import DepthQueries
from tests.contract.test_views import open_db  # noqa: F401  (the fixture: SQLite, then PostgreSQL)
from tests.unit.test_committed_market import script_of, trade
from tests.unit.test_depth_projector import T0, Consistency, JumpingClock, SetClock, by_the_rule


@pytest.fixture
async def view(open_db: Callable[[], ViewDatabase]) -> AsyncIterator[SqlDepthView]:  # noqa: F811
    database = open_db()
    await database.migrate(["depth"])
    yield SqlDepthView(database)
    await database.close()


async def stored(view: SqlDepthView, tokens: set[UUID]) -> dict[tuple[UUID, object], DepthSnapshot]:
    far = T0 + timedelta(days=30)
    return {(r.token_id, r.t): r for token_id in tokens for r in await view.snapshots(token_id, T0, far)}


async def test_a_busy_log_projected_in_small_batches_holds_the_rule_s_rows_and_a_rebuild_writes_them_again(
    view: SqlDepthView,
) -> None:
    store, _ = await trade(script_of(11, 160), JumpingClock(11))
    log = await store.read_log(0, 100_000)
    expected = by_the_rule(log)
    tokens = {token_id for token_id, _ in expected}
    runner = ProjectionRunner(store, [DepthProjector(view, store)], batch_size=5)
    await runner.catch_up(until=log[len(log) // 2].position)
    await ProjectionRunner(store, [DepthProjector(view, store)], batch_size=7).catch_up()  # another process goes on
    live = await stored(view, tokens)
    assert live == expected and await view.position() == log[-1].position
    assert await view.dead_letters() == []

    await runner.rebuild("depth")
    assert await stored(view, tokens) == live

    token_id, t = min(expected)
    queries = DepthQueries(view, Consistency(), SetClock())
    queries._clock.at = t + timedelta(minutes=3)  # type: ignore[attr-defined]
    points = await queries.snapshots(token_id, t - MINUTE, None, T0)
    assert points[0].sequence == (await view.snapshot_before(token_id, t - MINUTE) or points[0]).sequence
    for point in points[1:]:
        row = expected.get((token_id, point.t)) or await view.snapshot_before(token_id, point.t)
        assert row is not None and (point.sequence, point.bids, point.asks) == (row.sequence, row.bids, row.asks)


async def test_levels_keep_integers_past_a_double_s_precision_and_a_row_is_replaced_by_its_minute(view: SqlDepthView) -> None:
    token_id = UUID(int=9)
    huge = 2**62 + 1
    first = DepthSnapshot(token_id, T0, 3, [(huge, huge - 2, 7)], [])
    again = DepthSnapshot(token_id, T0, 4, [], [(huge + 4, 1, 1)])
    later = DepthSnapshot(token_id, T0 + 5 * MINUTE, 5, [(1, 2, 3)], [(4, 5, 6)])
    async with view.writing(0, 1) as rows:
        await rows.put([first, later])
    async with view.writing(1, 2) as rows:
        await rows.put([again])
    assert await view.snapshots(token_id, T0, T0 + 5 * MINUTE) == [again, later]
    assert await view.snapshot_before(token_id, T0 + 5 * MINUTE) == again
    assert await view.snapshot_before(token_id, T0) is None
    assert await view.newest_minutes() == {token_id: later.t}
