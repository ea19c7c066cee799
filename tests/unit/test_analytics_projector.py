"""The analytics projector folds a batch into one row per bucket and writes each once, with the batch's position."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.ports import Recorded
from application.projections.analytics import AnalyticsProjector, Bucket
from domain.creator.events import Followed, Unfollowed
from domain.identity.events import UserRegistered
from domain.orderbook.events import TradeExecuted

T = datetime(2026, 11, 30, 23, 59, 30, tzinfo=UTC)
TOKEN, ALICE, BOB = UUID(int=1), UUID(int=2), UUID(int=3)


class Rows:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def add_to_buckets(self, rows: Sequence[Bucket]) -> None:
        self.calls.append(("buckets", list(rows)))

    async def mark_fills(self, last_fill: Mapping[UUID, datetime]) -> None:
        self.calls.append(("fills", dict(last_fill)))

    async def mark_traders(self, rows: Sequence[tuple[str, datetime, UUID]]) -> None:
        self.calls.append(("traders", list(rows)))


class FakeView:
    name = "analytics"

    def __init__(self) -> None:
        self.rows = Rows()
        self.moves: list[tuple[int, int]] = []

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[Rows]:
        self.moves.append((expected, position))
        yield self.rows


def trade(version: int, notional: int, side: str, at: datetime) -> TradeExecuted:
    return TradeExecuted(
        originator_id=TOKEN, originator_version=version, at=at, trade_id=uuid4(), price=notional, quantity=10**6,
        notional=notional, taker_order_id=uuid4(), taker_user_id=ALICE, taker_side=side, maker_order_id=uuid4(),
        maker_user_id=BOB, taker_fee=0, maker_fee=0, buyer_paid=notional, buyer_released=0,
    )


def followed(n: int, at: datetime, cls: type[Followed] | type[Unfollowed] = Followed) -> Followed | Unfollowed:
    return cls(originator_id=uuid4(), originator_version=1, at=at, follower_id=UUID(int=n), creator_id=UUID(int=99))


async def test_a_batch_writes_one_row_per_bucket_with_every_event_of_it_added_up() -> None:
    view = FakeView()
    minute = timedelta(minutes=1)
    batch = [
        trade(1, 300, "buy", T - minute),
        trade(2, 200, "sell", T),
        trade(3, 100, "buy", T + minute),  # the next minute, hour and day
        UserRegistered(originator_id=uuid4(), originator_version=1, at=T, wallet_address="0x" + "1" * 64),
        followed(7, T),
        followed(7, T, Unfollowed),  # counts nothing
    ]
    await AnalyticsProjector(view).project([Recorded(10 + n, e) for n, e in enumerate(batch)], expected=9)  # type: ignore[arg-type]

    assert view.moves == [(9, 15)]
    (name, rows), (fills_name, fills), (traders_name, traders) = view.rows.calls
    assert (name, fills_name, traders_name) == ("buckets", "fills", "traders")
    found = {(b.interval, b.start): b for b in rows}  # type: ignore[attr-defined]
    assert len(found) == len(rows) == 7  # 1m: three minutes; 1h and 1d: this one and the next
    day = found[("1d", datetime(2026, 11, 30, tzinfo=UTC))]
    assert (day.trades, day.quote_volume, day.taker_buy_volume, day.taker_sell_volume) == (2, 500, 300, 200)
    assert (day.new_users, day.new_follows, day.new_creators, day.new_tokens) == (1, 1, 0, 0)
    assert found[("1m", datetime(2026, 11, 30, 23, 59, tzinfo=UTC))].trades == 1
    assert found[("1d", datetime(2026, 12, 1, tzinfo=UTC))].quote_volume == 100
    assert fills == {ALICE: T + minute, BOB: T + minute}
    assert len(traders) == 8 and len(set(traders)) == 8  # type: ignore[arg-type]  # two users × (1h, 1d) × two days


async def test_a_batch_without_analytics_events_still_moves_the_position_and_writes_no_rows() -> None:
    view = FakeView()
    await AnalyticsProjector(view).project([Recorded(1, followed(1, T, Unfollowed))], expected=0)  # type: ignore[arg-type]
    assert view.moves == [(0, 1)] and view.rows.calls == []
