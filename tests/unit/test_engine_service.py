"""A command delivered twice does nothing the second time: in the same engine, after a restart from the log,
and after a restart from a snapshot (the transport delivers at least once; application.trading.commands)."""

from __future__ import annotations

from uuid import UUID

import pytest

from adapters.eventstore.snapshots import RecorderSnapshots
from application.live.market import CommittedMarket
from application.trading.commands import (
    CancelAll,
    CancelOrder,
    EngineCommand,
    ListToken,
    MakeTransfer,
    PlaceOrder,
    RecordDeposit,
    RequestWithdrawal,
)
from application.trading.exchange import Exchange
from application.trading.service import EngineService
from domain.orderbook.errors import InvalidOrder, OrderAlreadyPlaced, OrderNotFound, OrderNotOpen
from domain.orderbook.order import NewOrder
from domain.shared.errors import DomainError
from domain.shared.money import USD
from domain.token.errors import SymbolTaken
from domain.token.token import default_parameters
from tests.unit.test_exchange import ALICE, BOB, TOKEN, Ids, Store, engine, listed, order

ADDRESS = "0x" + "b" * 64


async def restarted(store: Store, how: str) -> Exchange:
    if how == "snapshot":
        market = CommittedMarket()
        market.advance([(r.position, r.event) for r in await store.read_log(0, 100_000)], complete=True)
        await RecorderSnapshots(store).save(market.snapshot())
    return await engine(store)


async def twice(service: EngineService, command: EngineCommand) -> tuple[object, object]:
    """Both outcomes: a value, or the error's code."""
    outcomes: list[object] = []
    for _ in range(2):
        try:
            outcomes.append((await service.handle(command)).value)
        except DomainError as error:
            outcomes.append(error.code)
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("how", ["same engine", "log", "snapshot"])
async def test_a_placement_delivered_again_after_its_order_filled_places_nothing(how: str) -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 1_000 * 10**6, "d1")
    await exchange.place(token, order(ids, ALICE, "sell", 1_000_000, 10 * TOKEN))
    buy = PlaceOrder(token, order(ids, BOB, "buy", 1_000_000, 4 * TOKEN))
    first = await EngineService(exchange).handle(buy)
    assert first.value.order.status == "filled"  # type: ignore[attr-defined]

    again = exchange if how == "same engine" else await restarted(store, how)
    before = (again.state.ledger.totals(), again.state.ledger.available(BOB, str(token)), await store.head())
    with pytest.raises(OrderAlreadyPlaced) as raised:
        await EngineService(again).handle(buy)
    assert raised.value.fields == {"order_id": str(buy.order.order_id)}
    assert (again.state.ledger.totals(), again.state.ledger.available(BOB, str(token)), await store.head()) == before


@pytest.mark.parametrize("how", ["log", "snapshot"])
async def test_transfers_withdrawals_deposits_listings_and_cancels_delivered_again_change_nothing(how: str) -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    token = await listed(exchange)
    service = EngineService(exchange)
    transfer = MakeTransfer(
        transfer_id=ids(), sender=ALICE, recipient=BOB, asset=str(token), amount=TOKEN,
        from_address=ADDRESS, to_address=ADDRESS,
    )
    withdrawal = RequestWithdrawal(
        withdrawal_id=ids(), owner=ALICE, asset=str(token), amount=TOKEN, network_fee=0, to_address=ADDRESS
    )
    deposit = RecordDeposit(BOB, USD, 5 * 10**6, "chain:1")
    resting = order(ids, ALICE, "sell", 2_000_000, TOKEN)
    await service.handle(PlaceOrder(token, resting))
    cancel = CancelOrder(ALICE, resting.order_id)
    listing = ListToken(
        symbol="ALICE", name="again", creator_id=ALICE, creator_address=ADDRESS, total_supply=TOKEN, initial_price=0,
        parameters=default_parameters(),
    )
    firsts = [await service.handle(c) for c in (transfer, withdrawal, deposit, cancel)]
    head = await store.head()

    again = EngineService(await restarted(store, how))
    assert (await again.handle(transfer)).value.repeated  # type: ignore[attr-defined]
    assert (await again.handle(withdrawal)).value.repeated  # type: ignore[attr-defined]
    assert (await again.handle(deposit)).value.repeated  # type: ignore[attr-defined]
    with pytest.raises((OrderNotOpen, OrderNotFound)):  # as the trading view knows it: either way, nothing changes
        await again.handle(cancel)
    with pytest.raises(SymbolTaken):
        await again.handle(listing)
    assert (await again.handle(CancelAll(ALICE, token))).value == []
    assert await store.head() == head  # nothing stored the second time
    assert [f.position for f in firsts] == sorted(f.position for f in firsts)


async def test_a_placement_delivered_again_while_its_order_is_open_answers_the_order_as_it_stands() -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    token = await listed(exchange)
    service = EngineService(exchange)
    resting = PlaceOrder(token, order(ids, ALICE, "sell", 2_000_000, TOKEN))
    first, second = await twice(service, resting)
    assert first.order.status == "open" and not first.repeated  # type: ignore[attr-defined]
    assert second.repeated and second.order == first.order  # type: ignore[attr-defined]
    assert len(exchange.state.open_orders) == 1
    someone_else = PlaceOrder(token, NewOrder(resting.order.order_id, BOB, "buy", "limit", price=1_000_000, quantity=TOKEN))
    with pytest.raises(InvalidOrder):  # an id in use by another user's order is no repeat
        await service.handle(someone_else)


async def test_only_the_most_recent_closed_ids_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import domain.orderbook.order

    monkeypatch.setattr(domain.orderbook.order, "RECENTLY_CLOSED", 2)
    store, ids = Store(), Ids()
    exchange = await engine(store)
    token = await listed(exchange)
    service = EngineService(exchange)
    placed = [order(ids, ALICE, "sell", 2_000_000, TOKEN) for _ in range(3)]
    for new in placed:
        await service.handle(PlaceOrder(token, new))
        await service.handle(CancelOrder(ALICE, new.order_id))
    assert list(exchange.state.open_orders.closed) == [placed[1].order_id, placed[2].order_id]
    with pytest.raises(OrderAlreadyPlaced):
        await service.handle(PlaceOrder(token, placed[2]))
    assert (await service.handle(PlaceOrder(token, placed[0]))).value.order.status == "open"  # type: ignore[attr-defined]
