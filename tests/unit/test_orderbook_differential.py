"""OrderBook side by side with a plain reference matcher written straight from ORDER_BOOK.md.

The reference keeps one list of resting orders in arrival order and, for each
taker, sorts the crossing ones by price then age: no levels, no bisect, no
holds (everyone has more money than the flows can spend). After each command
both must agree on the trades (price, quantity, maker, taker), on the resting
orders of every level in queue order, and on the status of every order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.account.ledger import Ledger
from domain.orderbook.order import Order
from domain.orderbook.book import NewOrder, OrderBook
from domain.orderbook.events import TradeExecuted
from domain.shared.errors import DomainError
from domain.shared.money import USD

BOOK_ID = UUID("3d9a0c7e-2b4f-4a6d-9c8e-5f1a2b3c4d5e")
TOKEN = str(BOOK_ID)
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USERS = [UUID(int=n) for n in range(1, 4)]
MID, TICK, LOT = 1_000_000, 100, 10_000
PLENTY = 10**15


def cost_of(price: int, quantity: int) -> int:
    """What a taker buyer pays for ``quantity`` at ``price``: notional plus the 50 bps fee, rounded up."""
    notional = price * quantity // 1_000_000
    return notional + -(-notional * 50 // 10_000)


# ----- the reference -----


@dataclass
class Ref:
    id: UUID
    user: UUID
    side: str
    type: str
    price: int
    quantity: int
    quote: int
    tif: str
    stp: str
    post_only: bool
    remaining: int = 0
    filled: int = 0
    status: str = "open"
    seq: int = 0


class ReferenceBook:
    def __init__(self) -> None:
        self.resting: list[Ref] = []  # open GTC limit orders, oldest first
        self.orders: dict[UUID, Ref] = {}
        self.arrivals = 0

    def crossing(self, taker: Ref) -> list[Ref]:
        """The opposite orders the taker may trade with, in priority order: best price, then oldest."""
        found = []
        for order in self.resting:
            if order.side == taker.side:
                continue
            if taker.type == "limit":
                if taker.side == "buy" and order.price > taker.price:
                    continue
                if taker.side == "sell" and order.price < taker.price:
                    continue
            found.append(order)
        if taker.side == "buy":
            found.sort(key=lambda o: (o.price, o.seq))
        else:
            found.sort(key=lambda o: (-o.price, o.seq))
        return found

    def remove(self, order: Ref, status: str) -> None:
        order.status = status
        self.resting.remove(order)

    def place(self, taker: Ref) -> list[tuple[int, int, UUID, UUID]] | None:
        """The trades, or None when the order is refused before matching."""
        if taker.post_only and self.crossing(taker):
            return None
        if taker.post_only and taker.tif != "GTC":
            return None
        self.arrivals += 1
        taker.seq = self.arrivals
        taker.remaining = taker.quantity
        self.orders[taker.id] = taker
        trades: list[tuple[int, int, UUID, UUID]] = []

        if taker.tif == "FOK":
            can = 0
            for maker in self.crossing(taker):
                if maker.user == taker.user:
                    if taker.stp == "cancel_maker":
                        continue  # would be cancelled, and matching would go on
                    break  # matching would stop here
                can += maker.remaining
            if can < taker.quantity:
                taker.status = "expired"
                return trades

        by_quote = taker.type == "market" and taker.side == "buy" and taker.quote > 0
        budget = taker.quote
        stopped_by_budget = False
        while by_quote or taker.remaining > 0:
            makers = self.crossing(taker)
            if not makers:
                break
            maker = makers[0]
            if maker.user == taker.user:
                if taker.stp in ("cancel_maker", "cancel_both"):
                    self.remove(maker, "cancelled")
                if taker.stp in ("cancel_taker", "cancel_both"):
                    taker.status = "cancelled"
                    return trades
                continue
            if by_quote:
                quantity = 0
                while quantity + LOT <= maker.remaining and cost_of(maker.price, quantity + LOT) <= budget:
                    quantity += LOT
                if quantity == 0:
                    stopped_by_budget = True
                    break
                budget -= cost_of(maker.price, quantity)
            else:
                quantity = min(maker.remaining, taker.remaining)
                taker.remaining -= quantity
            trades.append((maker.price, quantity, maker.id, taker.id))
            maker.remaining -= quantity
            maker.filled += quantity
            taker.filled += quantity
            if maker.remaining == 0:
                self.remove(maker, "filled")
            else:
                maker.status = "partially_filled"
            taker.status = "partially_filled"

        if by_quote:
            taker.status = "filled" if stopped_by_budget and taker.filled else "expired"
        elif taker.remaining == 0:
            taker.status = "filled"
        elif taker.type == "limit" and taker.tif == "GTC":
            self.resting.append(taker)
        else:
            taker.status = "expired"
        return trades

    def cancel(self, order_id: UUID, user: UUID) -> bool:
        order = self.orders.get(order_id)
        if order is None or order.user != user or order not in self.resting:
            return False
        self.remove(order, "cancelled")
        return True

    def cancel_all(self, user: UUID) -> None:
        for order in [o for o in self.resting if o.user == user]:
            self.remove(order, "cancelled")

    def levels(self, side: str) -> list[tuple[int, list[tuple[UUID, int]]]]:
        prices = sorted({o.price for o in self.resting if o.side == side}, reverse=side == "buy")
        return [(p, [(o.id, o.remaining) for o in self.resting if o.side == side and o.price == p]) for p in prices]


# ----- side by side -----


class SideBySide:
    def __init__(self) -> None:
        self.ledger = Ledger()
        for user in USERS:
            self.ledger.credit(user, USD, PLENTY)
            self.ledger.credit(user, TOKEN, PLENTY)
        self.book = OrderBook(BOOK_ID, self.ledger)
        self.book.open("DIFF", 6, TICK, LOT, LOT, T0)
        self.book.collect_events()
        self.ref = ReferenceBook()
        self.placed: list[UUID] = []
        self.orders: dict[UUID, Order] = {}
        self.clock = T0
        self.ids = 0x20_000

    def now(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def levels(self, side: str) -> list[tuple[int, list[tuple[UUID, int]]]]:
        return [(p, [(o.id, o.remaining) for o in self.book._levels[side][p].values()]) for p, _, _ in self.book.depth(side, 10_000)]

    def step(self, command: tuple) -> None:
        kind, user = command[0], command[1]
        expected: list[tuple[int, int, UUID, UUID]] | None = []
        if kind == "cancel":
            known = self.placed + [UUID(int=0xBAD)]
            target = known[command[2] % len(known)]
            owner = self.ref.orders[target].user if command[3] and target in self.ref.orders else user
            cancelled = self.ref.cancel(target, owner)
            try:
                self.book.cancel(target, owner, self.now())
                assert cancelled, "the book cancelled an order the reference would not"
            except DomainError:
                assert not cancelled, "the book refused a cancel the reference would do"
        elif kind == "cancel_all":
            self.ref.cancel_all(user)
            self.book.cancel_all(user, self.now())
        else:
            self.ids += 1
            order_id = UUID(int=self.ids)
            if kind == "limit":
                _, _, side, price, quantity, tif, post_only, stp = command
                new = NewOrder(order_id, user, side, "limit", price=price, quantity=quantity, time_in_force=tif,
                               post_only=post_only, self_trade_prevention=stp)
                ref = Ref(order_id, user, side, "limit", price, quantity, 0, tif, stp, post_only)
            elif kind == "market":
                _, _, side, quantity, tif, stp = command
                new = NewOrder(order_id, user, side, "market", quantity=quantity, time_in_force=tif, self_trade_prevention=stp)
                ref = Ref(order_id, user, side, "market", 0, quantity, 0, tif, stp, False)
            else:
                _, _, budget, stp = command
                new = NewOrder(order_id, user, "buy", "market", quote_amount=budget, self_trade_prevention=stp)
                ref = Ref(order_id, user, "buy", "market", 0, 0, budget, "IOC", stp, False)
            expected = self.ref.place(ref)
            try:
                self.orders[order_id] = self.book.place(new, self.now()).order
                assert expected is not None, "the book accepted an order the reference refuses"
                self.placed.append(order_id)
            except DomainError:
                assert expected is None, "the book refused an order the reference accepts"
                expected = []
        events = self.book.collect_events()
        trades = [(e.price, e.quantity, e.maker_order_id, e.taker_order_id) for e in events if isinstance(e, TradeExecuted)]
        assert trades == expected
        for side in ("buy", "sell"):
            assert self.levels(side) == self.ref.levels(side)
        for order_id in self.placed:
            order, ref = self.orders[order_id], self.ref.orders[order_id]
            assert (order.status, order.filled) == (ref.status, ref.filled), order_id


users = st.sampled_from(USERS)
prices = st.integers(-3, 3).map(lambda k: MID + k * TICK)
quantities = st.integers(1, 4).map(lambda n: n * LOT)
stps = st.sampled_from(["cancel_maker", "cancel_maker", "cancel_taker", "cancel_both"])
limit_orders = st.tuples(
    st.just("limit"), users, st.sampled_from(["buy", "sell"]), prices, quantities,
    st.sampled_from(["GTC", "GTC", "GTC", "IOC", "FOK"]), st.sampled_from([False] * 7 + [True]), stps,
)
market_orders = st.tuples(st.just("market"), users, st.sampled_from(["buy", "sell"]), quantities, st.sampled_from(["IOC", "IOC", "FOK"]), stps)
quote_buys = st.tuples(st.just("quote"), users, st.one_of(st.integers(1, 12_000), st.integers(10_000, 60_000)), stps)
cancels = st.tuples(st.just("cancel"), users, st.integers(0, 10_000), st.sampled_from([True, True, False]))
cancel_alls = st.tuples(st.just("cancel_all"), users)
WEIGHTED = [limit_orders] * 10 + [market_orders] * 3 + [quote_buys] * 2 + [cancels] * 3 + [cancel_alls]
commands = st.sampled_from(range(len(WEIGHTED))).flatmap(lambda i: WEIGHTED[i])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(script=st.lists(commands, min_size=10, max_size=50))
def test_the_book_matches_like_the_reference_after_every_command(script) -> None:
    both = SideBySide()
    for command in script:
        both.step(command)


def test_the_reference_itself_follows_price_time_priority() -> None:
    """A fixed case, so a broken reference cannot agree with a broken book by accident."""
    ref = ReferenceBook()
    a, b, c, d = (UUID(int=n) for n in range(101, 105))
    ref.place(Ref(a, USERS[0], "sell", "limit", MID + TICK, LOT, 0, "GTC", "cancel_maker", False))
    ref.place(Ref(b, USERS[0], "sell", "limit", MID, LOT, 0, "GTC", "cancel_maker", False))
    ref.place(Ref(c, USERS[1], "sell", "limit", MID, LOT, 0, "GTC", "cancel_maker", False))
    trades = ref.place(Ref(d, USERS[2], "buy", "limit", MID + TICK, 3 * LOT, 0, "GTC", "cancel_maker", False))
    assert trades == [(MID, LOT, b, d), (MID, LOT, c, d), (MID + TICK, LOT, a, d)]
    assert ref.orders[d].status == "filled" and ref.resting == []
