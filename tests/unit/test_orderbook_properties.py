"""Random trading flows against OrderBook: after every command the invariants of ORDER_BOOK.md hold.

Several users, random deposits, limit GTC/IOC/FOK (some post-only), market
buys by quantity and by quote amount, market sells, cancels, cancel_all and
every self-trade prevention mode, at prices a few ticks around one mid so
that books cross often. After each command: conservation of every asset, an
uncrossed book, holds that are exactly what the open orders hold, nothing
negative, no self-trade, every trade at the maker's price within the taker's
limit, fees by the rule (a buyer's at most one micro-unit less), FOK all or
nothing, quote budgets respected, statuses moving only forward, refusals
changing nothing. At the end the log replays into the same ledger and book.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.account.ledger import FEE_ACCOUNT, Deposit, Ledger
from domain.orderbook.order import Order
from domain.orderbook.book import NewOrder, OrderBook
from domain.orderbook.events import OrderAccepted, OrderClosed, TradeExecuted
from domain.shared.aggregate import DomainEvent
from domain.shared.errors import DomainError
from domain.shared.money import USD

BOOK_ID = UUID("0b7e3c1a-9d2f-4e5b-8a6c-1f2e3d4c5b6a")
TOKEN = str(BOOK_ID)
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USERS = [UUID(int=n) for n in range(1, 5)]
MID, TICK, LOT = 1_000_000, 100, 10_000
TAKER_BPS, MAKER_BPS = 50, 30
STATUS_RANK = {"open": 0, "partially_filled": 1, "filled": 2, "cancelled": 2, "expired": 2}


def fee(notional: int, bps: int) -> int:
    return -(-notional * bps // 10_000)


def hold_for_buy(price: int, quantity: int) -> int:
    notional = price * quantity // 1_000_000
    return notional + fee(notional, TAKER_BPS)


# ----- commands -----

users = st.sampled_from(USERS)
prices = st.integers(-3, 3).map(lambda k: MID + k * TICK)
quantities = st.integers(1, 4).map(lambda n: n * LOT)
stps = st.sampled_from(["cancel_maker", "cancel_taker", "cancel_both"])
client_ids = st.one_of(st.none(), st.none(), st.sampled_from(["a", "b", "c"]))

limit_orders = st.tuples(
    st.just("limit"),
    users,
    st.sampled_from(["buy", "sell"]),
    prices,
    quantities,
    st.sampled_from(["GTC", "GTC", "GTC", "IOC", "FOK"]),
    st.sampled_from([False] * 5 + [True]),  # post-only; with IOC/FOK it is refused
    stps,
    client_ids,
)
market_orders = st.tuples(st.just("market"), users, st.sampled_from(["buy", "sell"]), quantities, st.sampled_from(["IOC", "IOC", "FOK"]), stps)
quote_buys = st.tuples(st.just("quote"), users, st.one_of(st.integers(1, 12_000), st.integers(10_000, 60_000).map(lambda n: n | 1)), stps)
amounts = st.one_of(st.integers(1, 30_000), st.integers(30_000, 300_000).map(lambda n: n | 1))
deposits = st.tuples(st.just("deposit"), users, st.sampled_from([USD, TOKEN]), amounts)
cancels = st.tuples(st.just("cancel"), users, st.integers(0, 10_000), st.sampled_from([True, True, False]))  # mostly by the owner
cancel_alls = st.tuples(st.just("cancel_all"), users)

WEIGHTED = [limit_orders] * 10 + [market_orders] * 3 + [quote_buys] * 2 + [deposits] * 2 + [cancels] * 3 + [cancel_alls]
commands = st.sampled_from(range(len(WEIGHTED))).flatmap(lambda i: WEIGHTED[i])
# What each user starts with; 0 means no ledger entry for that asset at all.
openings = st.lists(
    st.tuples(st.one_of(st.integers(0, 300_000), st.integers(100_000, 400_000).map(lambda n: n | 1)), st.integers(0, 20)),
    min_size=len(USERS),
    max_size=len(USERS),
)


@dataclass
class Flow:
    ledger: Ledger = field(default_factory=Ledger)
    log: list[DomainEvent] = field(default_factory=list)
    deposited: dict[str, int] = field(default_factory=dict)
    placed: list[UUID] = field(default_factory=list)
    orders: dict[UUID, Order] = field(default_factory=dict)  # every accepted order as it stands, closed ones too
    statuses: dict[UUID, str] = field(default_factory=dict)
    clock: datetime = T0
    ids: int = 0x10_000

    def __post_init__(self) -> None:
        self.book = OrderBook(BOOK_ID, self.ledger)
        self.book.open("FLOW", 6, TICK, LOT, LOT, T0)
        self.log.extend(self.book.collect_events())

    def now(self) -> datetime:
        self.clock += timedelta(milliseconds=7)
        return self.clock

    def deposit(self, user: UUID, asset: str, amount: int) -> None:
        deposit = Deposit.of(f"ref-{len(self.log)}", self.ledger)
        deposit.record(user, asset, amount, f"ref-{len(self.log)}", self.now())
        self.log.extend(deposit.collect_events())
        self.deposited[asset] = self.deposited.get(asset, 0) + amount

    def snapshot(self) -> tuple[object, ...]:
        return (
            sorted(self.ledger.entries()),
            self.book.depth("buy", 1000),
            self.book.depth("sell", 1000),
            sorted((o.id, o.status, o.remaining, o.hold) for o in self.book.resting()),
            self.book.version,
        )


def run(flow: Flow, command: tuple) -> None:
    kind, user = command[0], command[1]
    if kind == "deposit":
        flow.deposit(user, command[2], command[3])
        return
    book = flow.book
    resting_before = {o.id: o for o in book.resting()}
    before = flow.snapshot()
    placed: NewOrder | None = None
    estimate = None
    try:
        if kind in ("limit", "market", "quote"):
            flow.ids += 1
            order_id = UUID(int=flow.ids)
            if kind == "limit":
                _, _, side, price, quantity, tif, post_only, stp, client_id = command
                placed = NewOrder(order_id, user, side, "limit", price=price, quantity=quantity, time_in_force=tif,
                                  post_only=post_only, self_trade_prevention=stp, client_order_id=client_id)
            elif kind == "market":
                _, _, side, quantity, tif, stp = command
                placed = NewOrder(order_id, user, side, "market", quantity=quantity, time_in_force=tif, self_trade_prevention=stp)
            else:
                _, _, budget, stp = command
                placed = NewOrder(order_id, user, "buy", "market", quote_amount=budget, self_trade_prevention=stp)
            if placed.self_trade_prevention == "cancel_maker" and not placed.post_only:
                try:
                    estimate = book.estimate(placed)
                except DomainError:
                    pass
                assert book.collect_events() == [] and flow.snapshot() == before, "an estimate changes nothing"
            placement = book.place(placed, flow.now())
            flow.orders.setdefault(placement.order.id, placement.order)
            if placement.repeated:
                assert book.collect_events() == []
                assert flow.snapshot() == before
                assert placement.order.client_order_id == placed.client_order_id
                assert placement.order.user_id == user
                return
        elif kind == "cancel":
            known = flow.placed + [UUID(int=0xBAD)]
            target = known[command[2] % len(known)]
            found = book.find(target)
            book.cancel(target, found.user_id if command[3] and found is not None else user, flow.now())
        else:
            cancelled = book.cancel_all(user, flow.now())
            assert all(o.user_id == user and o.status == "cancelled" for o in cancelled)
            assert book.open_orders_of(user) == []
    except DomainError:
        # refused: not stored, nothing moved
        assert book.collect_events() == []
        assert flow.snapshot() == before
        return
    events = book.collect_events()
    first_version = before[-1] + 1
    assert [e.originator_version for e in events] == list(range(first_version, first_version + len(events)))
    flow.log.extend(events)
    check_command(flow, placed, events, resting_before)
    if placed is not None and estimate is not None:
        check_estimate(placed, estimate, events)
    check_state(flow)


def check_command(flow: Flow, new: NewOrder | None, events: list[DomainEvent], resting_before: dict) -> None:
    trades = [e for e in events if isinstance(e, TradeExecuted)]
    for trade in trades:
        assert trade.maker_user_id != trade.taker_user_id, "a self-trade"
        assert new is not None and trade.taker_order_id == new.order_id and trade.taker_user_id == new.user_id
        maker = resting_before.get(trade.maker_order_id)
        assert maker is not None, "the maker was resting before the command"
        assert trade.price == maker.price, "a fill happens at the maker's price"
        assert maker.side != new.side
        if new.type == "limit":
            assert trade.price <= new.price if new.side == "buy" else trade.price >= new.price
        assert trade.notional == trade.price * trade.quantity // 1_000_000
        assert trade.price * trade.quantity % 1_000_000 == 0
        assert trade.quantity > 0 and trade.quantity % LOT == 0
        taker_rule, maker_rule = fee(trade.notional, TAKER_BPS), fee(trade.notional, MAKER_BPS)
        buyer_fee, seller_fee, buyer_rule, seller_rule = (
            (trade.taker_fee, trade.maker_fee, taker_rule, maker_rule)
            if new.side == "buy"
            else (trade.maker_fee, trade.taker_fee, maker_rule, taker_rule)
        )
        assert seller_fee == seller_rule
        assert buyer_rule - 1 <= buyer_fee <= buyer_rule
        if new.side == "buy" and new.type == "market":
            assert buyer_fee == buyer_rule, "a market buy's fee is never capped"
        assert trade.buyer_paid == trade.notional + buyer_fee
        assert trade.buyer_released >= 0
    if new is None:
        assert trades == []
        return
    accepted = [e for e in events if isinstance(e, OrderAccepted)]
    assert [e.order_id for e in accepted] == [new.order_id]
    flow.placed.append(new.order_id)
    order = flow.orders[new.order_id]
    assert (flow.book.find(new.order_id) is order) == order.is_open, "open orders are on the book, closed ones not"
    filled = sum(t.quantity for t in trades)
    assert order.filled == filled
    if new.type == "market" or order.time_in_force in ("IOC", "FOK"):
        assert not order.is_open, "only GTC limit orders rest"
    if new.post_only:
        assert trades == [] and order.status == "open"
    if order.time_in_force == "FOK":
        if order.status == "expired":
            assert [type(e) for e in events] == [OrderAccepted, OrderClosed], "a FOK does nothing but expire"
        else:
            assert order.status == "filled" and filled == new.quantity
    if new.type == "market" and new.side == "buy" and new.quote_amount:
        spent = sum(t.buyer_paid for t in trades)
        assert spent <= new.quote_amount
        best_ask = flow.book.best("sell")
        if order.status == "filled":
            # bought something, and the next ask was there but one more lot of it was out of budget
            assert filled > 0 and best_ask is not None
            assert spent + hold_for_buy(best_ask, LOT) > new.quote_amount
        elif order.status == "expired":
            assert filled == 0 or best_ask is None
            if best_ask is not None:
                assert hold_for_buy(best_ask, LOT) > new.quote_amount
        else:
            assert order.status == "cancelled" and new.self_trade_prevention != "cancel_maker"
    if order.status == "cancelled" and new.self_trade_prevention == "cancel_maker":
        raise AssertionError("cancel_maker never cancels the taker")
    if new.type == "limit" and order.is_open:
        assert order.time_in_force == "GTC"


def check_estimate(new: NewOrder, estimate, events: list[DomainEvent]) -> None:
    """The estimate made just before an accepted placement told what it then filled (own orders skipped, as cancel_maker does)."""
    trades = [e for e in events if isinstance(e, TradeExecuted)]
    if new.time_in_force == "FOK":
        assert estimate.complete == bool(trades)
    if new.time_in_force == "FOK" and not estimate.complete:
        return
    assert estimate.filled == sum(t.quantity for t in trades)
    assert estimate.notional == sum(t.notional for t in trades)
    charged = sum(t.taker_fee for t in trades)
    if new.side == "buy" and new.type == "limit":
        assert 0 <= estimate.fee - charged <= len(trades), "the fee rule, less the rounding cap"
    else:
        assert estimate.fee == charged
    assert (estimate.best_price, estimate.last_price) == ((trades[0].price, trades[-1].price) if trades else (None, None))


def check_state(flow: Flow) -> None:
    ledger, book = flow.ledger, flow.book
    assert {a: n for a, n in ledger.totals().items() if n} == {a: n for a, n in flow.deposited.items() if n}, "conservation"
    bid, ask = book.best("buy"), book.best("sell")
    assert bid is None or ask is None or bid < ask, "crossed book"
    for side in ("buy", "sell"):
        resting: dict[int, list[int]] = {}
        for order in book.resting():
            if order.side == side:
                resting.setdefault(order.price, []).append(order.remaining)
        expected_depth = [(p, sum(r), len(r)) for p, r in sorted(resting.items(), reverse=side == "buy")]
        assert book.depth(side, 10**6) == expected_depth, "depth totals are the resting orders' remaining"
    expected_held: dict[tuple[UUID, str], int] = {}
    for order in book.resting():
        assert order.type == "limit" and order.time_in_force == "GTC" and order.is_open
        assert order.remaining > 0 and order.remaining % LOT == 0
        if order.side == "buy":
            key, amount = (order.user_id, USD), hold_for_buy(order.price, order.remaining)
        else:
            key, amount = (order.user_id, TOKEN), order.remaining
        assert order.hold == amount
        expected_held[key] = expected_held.get(key, 0) + amount
    for owner, asset, available, held in ledger.entries():
        assert available >= 0 and held >= 0, "negative balance"
        assert held == expected_held.get((owner, asset), 0), "held is what open orders hold"
    assert ledger.held(FEE_ACCOUNT, USD) == 0
    for side in ("buy", "sell"):
        levels = book.depth(side, 1000)
        assert [p for p, _, _ in levels] == sorted((p for p, _, _ in levels), reverse=side == "buy")
        assert sum(q for _, q, _ in levels) == sum(o.remaining for o in book.resting() if o.side == side)
    for order_id in flow.placed:
        order = flow.orders[order_id]
        assert (book.find(order_id) is order) == order.is_open
        last = flow.statuses.get(order_id)
        if last is not None:
            assert STATUS_RANK[order.status] >= STATUS_RANK[last], f"{last} -> {order.status}"
            if STATUS_RANK[last] == 2:
                assert order.status == last, "a closed order stays closed"
        if order.status == "open":
            assert order.filled == 0
        if order.status == "partially_filled":
            assert 0 < order.filled and order.remaining > 0
        if order.status == "filled":
            assert order.filled > 0 and (order.remaining == 0 or order.quote_amount)
        flow.statuses[order_id] = order.status


def check_replay(flow: Flow) -> None:
    ledger = Ledger()
    book = OrderBook(BOOK_ID, ledger)
    for event in flow.log:
        (book if event.originator_id == BOOK_ID else Deposit(event.originator_id, ledger)).apply_stored(event)
    assert sorted(ledger.entries()) == sorted(flow.ledger.entries())
    for side in ("buy", "sell"):
        assert book.depth(side, 1000) == flow.book.depth(side, 1000)
    assert [(o.id, o.status, o.remaining, o.hold, o.filled) for o in book.resting()] == [
        (o.id, o.status, o.remaining, o.hold, o.filled) for o in flow.book.resting()
    ], "the same orders resting in the same priority"
    for order_id in flow.placed:
        assert (book.find(order_id) is None) == (flow.book.find(order_id) is None)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(openings=openings, script=st.lists(commands, min_size=20, max_size=60))
def test_random_flows_keep_every_invariant_after_every_command(openings, script) -> None:
    flow = Flow()
    for user, (usd, lots) in zip(USERS, openings):
        if usd:
            flow.deposit(user, USD, usd)
        if lots:
            flow.deposit(user, TOKEN, lots * LOT + lots % 2)  # sometimes an odd base unit left over
    check_state(flow)
    for command in script:
        run(flow, command)
    check_replay(flow)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(openings=openings, script=st.lists(commands, min_size=10, max_size=40))
def test_the_same_commands_give_the_same_events(openings, script) -> None:
    def play() -> list[DomainEvent]:
        flow = Flow()
        for user, (usd, lots) in zip(USERS, openings):
            flow.deposit(user, USD, usd * 10 + 1)
            flow.deposit(user, TOKEN, lots * LOT * 10 + 1)
        for command in script:
            run(flow, command)
        return flow.log

    first, second = play(), play()
    assert first == second
