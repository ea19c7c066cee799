"""The audit's money check: it passes on a log the engine wrote, and names what a forged or damaged one breaks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from uuid import UUID

from adapters.eventstore.memory import InMemoryEventStore
from adapters.eventstore.snapshots import RecorderSnapshots, encode_snapshot
from application.live.market import CommittedMarket
from application.trading.audit import MoneyCheck
from application.trading.exchange import Exchange
from domain.orderbook.book import NewOrder
from domain.orderbook.events import TradeExecuted
from domain.shared.money import USD
from domain.token.token import default_parameters

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ALICE, BOB = UUID(int=1), UUID(int=2)
TOKEN = 10**6


class Clock:
    def now(self) -> datetime:
        return T0


async def traded() -> tuple[InMemoryEventStore, UUID]:
    store = InMemoryEventStore()
    exchange = Exchange(store, RecorderSnapshots(store), Clock())
    await exchange.start(await store.claim_writer())
    token = (await exchange.list_token(
        symbol="ALICE", name="Alice", creator_id=ALICE, creator_address="0x" + "a" * 64,
        total_supply=1_000 * TOKEN, initial_price=0, parameters=default_parameters(),
    )).value.token_id  # type: ignore[attr-defined]
    await exchange.deposit(BOB, USD, 1_000 * 10**6, "d")
    await exchange.place(token, NewOrder(UUID(int=10), ALICE, "sell", "limit", price=1_000_000, quantity=10 * TOKEN))
    await exchange.place(token, NewOrder(UUID(int=11), BOB, "buy", "limit", price=1_000_000, quantity=4 * TOKEN))
    await exchange.place(token, NewOrder(UUID(int=12), BOB, "buy", "limit", price=900_000, quantity=TOKEN))
    return store, token


def check(store: InMemoryEventStore) -> MoneyCheck:
    return MoneyCheck(store, RecorderSnapshots(store), encode_snapshot)


async def test_a_log_the_engine_wrote_passes_with_and_without_a_snapshot() -> None:
    store, _ = await traded()
    result = await check(store).run()
    assert result.differences == [] and "no snapshot yet" in result.summary
    market = CommittedMarket()
    market.advance([(r.position, r.event) for r in await store.read_log(0, 1_000)], complete=True)
    await RecorderSnapshots(store).save(market.snapshot())
    result = await check(store).run()
    assert result.differences == [] and f"snapshot at {market.position}" in result.summary


async def test_a_trade_that_pays_the_seller_money_nobody_paid_breaks_conservation() -> None:
    store, token = await traded()
    [trade] = [r.event for r in await store.read_log(0, 1_000) if isinstance(r.event, TradeExecuted)]
    version = (await store.read_stream(token))[-1].originator_version
    forged = dataclasses.replace(trade, originator_version=version + 1, trade_id=UUID(int=99), quantity=0, notional=5,
                                 buyer_paid=0, taker_fee=0, maker_fee=0, buyer_released=0, maker_order_id=UUID(int=12),
                                 taker_order_id=UUID(int=12))
    await store.append([forged])

    differences = (await check(store).run()).differences

    assert any(d.where == "conservation of USD" for d in differences), differences


async def test_a_snapshot_that_differs_from_the_log_is_named() -> None:
    store, _ = await traded()
    market = CommittedMarket()
    market.advance([(r.position, r.event) for r in await store.read_log(0, 1_000)], complete=True)
    market.state.ledger.credit(BOB, USD, 1)  # a snapshot no replay would give
    await RecorderSnapshots(store).save(market.snapshot())

    differences = (await check(store).run()).differences

    assert [d.where for d in differences] == [f"snapshot at {market.position}"]
