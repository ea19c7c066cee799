"""One token's order book: price-time priority, fills at the maker's price, holds, fees, self-trade prevention.

Decide, then apply: ``place`` and ``cancel`` check the rules and record
events; ``_apply`` is the only place the book and the balances change, and
it never decides anything, so replaying the log rebuilds the same book and
the same money. Integers only (see domain.shared.money). Time and ids come
in with the command; trade ids are derived from the book's id and a
sequence, so the same commands give the same events, byte for byte.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from domain.account.errors import InsufficientFunds
from domain.account.ledger import FEE_ACCOUNT, Ledger
from domain.orderbook.errors import (
    BelowMinSize,
    InvalidOrder,
    OrderAlreadyPlaced,
    InvalidPriceTick,
    InvalidQuantityLot,
    OrderNotFound,
    PostOnlyWouldTake,
)
from domain.orderbook.events import MarketOpened, OrderAccepted, OrderClosed, TradeExecuted
from domain.orderbook.order import (
    BUY,
    CANCEL_BOTH,
    CANCEL_MAKER,
    CANCEL_TAKER,
    CANCELLED,
    EXPIRED,
    FILLED,
    FOK,
    GTC,
    IOC,
    LIMIT,
    MARKET,
    PARTIALLY_FILLED,
    SELL,
    Fill,
    NewOrder,
    OpenOrders,
    Order,
    OrderState,
)
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.money import BPS, MAKER_FEE_BPS, MAX_PRICE, MAX_QUANTITY, MAX_QUOTE, TAKER_FEE_BPS, USD
from domain.shared.text import check_text

CLIENT_ORDER_ID_MAX = 64

Level = OrderedDict[UUID, Order]  # one price's resting orders, oldest first; O(1) removal from anywhere


@dataclass(frozen=True, slots=True)
class Estimate:
    """What an order would fill against the book now, as a taker, fees per fill as matching charges them."""

    filled: int
    notional: int
    fee: int
    best_price: int | None
    last_price: int | None
    complete: bool  # it would fill all it asks for (a FOK would succeed)


@dataclass(frozen=True, slots=True, kw_only=True)
class BookState:
    """What a snapshot keeps of a book: its market, counters, and its open orders in priority order
    (bids best first, then asks best first; oldest first within a price)."""

    id: UUID
    version: int
    market: MarketOpened
    trades: int
    orders: list[OrderState]


@dataclass(frozen=True, slots=True)
class Placement:
    """What a placement did: the order as it stands after matching, and its fills; ``repeated`` for a client_order_id seen before."""

    order: Order
    fills: list[Fill]
    repeated: bool = False


class OrderBook(Aggregate):
    def __init__(self, id: UUID, ledger: Ledger | None = None, open_orders: OpenOrders | None = None) -> None:
        super().__init__(id)
        self.ledger = ledger if ledger is not None else Ledger()
        self.open_orders = open_orders if open_orders is not None else OpenOrders()  # shared by all books
        self.asset = str(id)
        self.market: MarketOpened | None = None
        self.scale = 1
        self.maker_bps = MAKER_FEE_BPS
        self.taker_bps = TAKER_FEE_BPS
        self._levels: dict[str, dict[int, Level]] = {BUY: {}, SELL: {}}
        self._totals: dict[str, dict[int, int]] = {BUY: {}, SELL: {}}  # resting quantity per level
        self._prices: dict[str, list[int]] = {BUY: [], SELL: []}  # ascending; best bid last, best ask first
        self._trades = 0
        self._trade_namespace = hashlib.sha1(id.bytes)

    def _trade_id(self, number: int) -> UUID:
        """``uuid5(book id, str(number))``, with the namespace's hashing done once per book."""
        digest = self._trade_namespace.copy()
        digest.update(str(number).encode())
        return UUID(bytes=digest.digest()[:16], version=5)

    # ----- queries -----

    def best(self, side: str) -> int | None:
        prices = self._prices[side]
        if not prices:
            return None
        return prices[-1] if side == BUY else prices[0]

    def depth(self, side: str, levels: int) -> list[tuple[int, int, int]]:
        """``(price, quantity, orders)`` per level, best first."""
        prices = self._prices[side]
        if levels <= 0:
            return []
        chosen = reversed(prices[-levels:]) if side == BUY else prices[:levels]
        book, totals = self._levels[side], self._totals[side]
        return [(p, totals[p], len(book[p])) for p in chosen]

    def level(self, side: str, price: int) -> tuple[int, int]:
        """``(quantity, orders)`` resting at one price; ``(0, 0)`` for an empty level."""
        book = self._levels[side].get(price)
        return (self._totals[side][price], len(book)) if book else (0, 0)

    def find(self, order_id: UUID) -> Order | None:
        """An open order of this book."""
        order = self.open_orders.get(order_id)
        return order if order is not None and order.token_id == self.id else None

    def open_orders_of(self, user_id: UUID) -> list[Order]:
        return self.open_orders.of_user(user_id, self.id)

    def resting(self) -> Iterator[Order]:
        """Every order on the book in priority order: bids best first, then asks best first."""
        for side in (BUY, SELL):
            prices = self._prices[side]
            for price in reversed(prices) if side == BUY else prices:
                yield from self._levels[side][price].values()

    def estimate(self, new: NewOrder) -> Estimate:
        """Walk the book for a hypothetical order without changing anything, self-trade prevention as the order says.

        The fee is the taker rule's per fill; a limit buy may in fact pay up to a micro-unit less per fill (the
        rounding cap of its hold)."""
        self._check(replace(new, post_only=False))
        opposite = SELL if new.side == BUY else BUY
        limit = new.price if new.type == LIMIT else None
        budget = new.quote_amount if new.type == MARKET and new.side == BUY and not new.quantity else None
        wanted = new.quantity
        filled = notional = fee = 0
        best = last = None
        for maker in self._walk(opposite, new.user_id, new.self_trade_prevention, limit):
            if budget is not None:
                take = self._affordable(maker, budget)
                if take == 0:
                    break
            else:
                take = min(maker.remaining, wanted - filled)
            amount = maker.price * take // self.scale
            charge = -(-amount * self.taker_bps // BPS)
            filled, notional, fee = filled + take, notional + amount, fee + charge
            best = maker.price if best is None else best
            last = maker.price
            if budget is not None:
                budget -= amount + charge
            elif filled == wanted:
                break
        complete = filled > 0 if budget is not None else filled == wanted
        return Estimate(filled, notional, fee, best, last, complete)

    # ----- commands -----

    def open(self, symbol: str, decimals: int, tick_size: int, lot_size: int, min_size: int, at: datetime) -> None:
        if self.market is not None:
            return
        self._record(
            MarketOpened(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                symbol=symbol,
                decimals=decimals,
                tick_size=tick_size,
                lot_size=lot_size,
                min_size=min_size,
                maker_fee_bps=MAKER_FEE_BPS,
                taker_fee_bps=TAKER_FEE_BPS,
            )
        )

    def _placed_before(self, new: NewOrder) -> Placement:
        seen = self.open_orders.get(new.order_id)
        if seen is not None and seen.user_id == new.user_id and seen.token_id == self.id:
            return Placement(seen, list(seen.fills), repeated=True)
        if seen is None and new.order_id in self.open_orders.closed:
            raise OrderAlreadyPlaced("this order was placed already and has closed since", str(new.order_id))
        raise InvalidOrder("that order id is in use")

    def place(self, new: NewOrder, at: datetime) -> Placement:
        assert self.market is not None, "orders go to opened markets only"
        if new.client_order_id is not None:
            seen = self.open_orders.by_client_id(new.user_id, new.client_order_id)
            if seen is not None:
                return Placement(seen, list(seen.fills), repeated=True)
        if self.open_orders.used(new.order_id):  # the same placement delivered again (order ids are never reused)
            return self._placed_before(new)
        tif = self._check(new)
        hold = self._hold_for(new)
        hold_asset = USD if new.side == BUY else self.asset
        if self.ledger.available(new.user_id, hold_asset) < hold:
            raise InsufficientFunds(f"this order needs {hold} {'micro-USD' if hold_asset == USD else 'base units'} available")
        self._record(
            OrderAccepted(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                order_id=new.order_id,
                user_id=new.user_id,
                client_order_id=new.client_order_id,
                side=new.side,
                type=new.type,
                time_in_force=tif,
                price=new.price,
                quantity=new.quantity,
                quote_amount=new.quote_amount,
                post_only=new.post_only,
                self_trade_prevention=new.self_trade_prevention,
                hold=hold,
            )
        )
        taker = self.open_orders[new.order_id]
        fills: list[Fill] = []
        if tif == FOK and not self._fok_fillable(taker):
            self._close(taker, EXPIRED, "fok_unfillable", at)
            return Placement(taker, fills)
        reason = self._match(taker, fills, at)
        if taker.id in self.open_orders and (reason == "self_trade_prevention" or tif != GTC):
            self._close(taker, *self._final_status(taker, reason), at)
        return Placement(taker, fills)

    def cancel(self, order_id: UUID, user_id: UUID, at: datetime) -> Order:
        """Cancel an open order of the user's. A closed order is no longer in memory: it is OrderNotFound
        here, and the application, which can ask the trading view, tells order_not_open from not found."""
        order = self.find(order_id)
        if order is None or order.user_id != user_id:
            raise OrderNotFound("no such open order of yours")
        self._close(order, CANCELLED, "user", at)
        return order

    def cancel_all(self, user_id: UUID, at: datetime) -> list[Order]:
        """Oldest first (the index keeps acceptance order)."""
        mine = self.open_orders_of(user_id)
        for order in mine:
            self._close(order, CANCELLED, "user", at)
        return mine

    # ----- deciding -----

    def _check(self, new: NewOrder) -> str:
        market = self.market
        assert market is not None
        if new.side not in (BUY, SELL):
            raise InvalidOrder("side is buy or sell")
        if new.self_trade_prevention not in (CANCEL_MAKER, CANCEL_TAKER, CANCEL_BOTH):
            raise InvalidOrder("self_trade_prevention is cancel_maker, cancel_taker or cancel_both")
        if new.client_order_id is not None:
            if not 1 <= len(new.client_order_id) <= CLIENT_ORDER_ID_MAX:
                raise InvalidOrder(f"client_order_id is 1 to {CLIENT_ORDER_ID_MAX} characters")
            check_text(new.client_order_id, "client_order_id")
        if new.type == LIMIT:
            tif = new.time_in_force or GTC
            if tif not in (GTC, IOC, FOK):
                raise InvalidOrder("time_in_force is GTC, IOC or FOK")
            if new.quote_amount:
                raise InvalidOrder("a limit order has a quantity, not a quote_amount")
            if new.post_only and tif != GTC:
                raise InvalidOrder("post_only is for GTC limit orders")
            if new.price <= 0 or new.price % market.tick_size:
                raise InvalidPriceTick(f"the price is a positive multiple of the tick size {market.tick_size}")
            if new.price > MAX_PRICE:
                raise InvalidOrder("the price is at most 10,000 USD")
            self._check_quantity(new.quantity)
            if new.post_only and self._would_take(new.side, new.price):
                raise PostOnlyWouldTake("a post-only order would take liquidity")
            return tif
        if new.type != MARKET:
            raise InvalidOrder("type is limit or market")
        tif = new.time_in_force or IOC
        if tif not in (IOC, FOK):
            raise InvalidOrder("a market order is IOC or FOK")
        if new.price:
            raise InvalidOrder("a market order has no price")
        if new.post_only:
            raise InvalidOrder("post_only is for limit orders")
        if new.side == SELL or new.quote_amount == 0:
            if new.quote_amount:
                raise InvalidOrder("a market sell has a quantity, not a quote_amount")
            self._check_quantity(new.quantity)
        elif new.quantity:
            raise InvalidOrder("a market buy has a quantity or a quote_amount, not both")
        elif not 0 < new.quote_amount <= MAX_QUOTE:
            raise InvalidOrder("quote_amount is more than zero and at most a billion USD")
        elif tif == FOK:
            raise InvalidOrder("a FOK market buy needs a quantity")
        return tif

    def _check_quantity(self, quantity: int) -> None:
        market = self.market
        assert market is not None
        if quantity <= 0 or quantity % market.lot_size:
            raise InvalidQuantityLot(f"the quantity is a positive multiple of the lot size {market.lot_size}")
        if quantity > MAX_QUANTITY:
            raise InvalidOrder("the quantity is larger than any token's supply")
        if quantity < market.min_size:
            raise BelowMinSize(f"the quantity is at least the minimum size {market.min_size}")

    def _would_take(self, side: str, price: int) -> bool:
        best = self.best(SELL if side == BUY else BUY)
        return best is not None and (best <= price if side == BUY else best >= price)

    def _hold_for(self, new: NewOrder) -> int:
        if new.side == SELL:
            return new.quantity
        if new.type == LIMIT:
            return self._limit_buy_hold(new.price, new.quantity)
        if new.quote_amount:
            return new.quote_amount
        return self._market_buy_cost(new.user_id, new.quantity, new.self_trade_prevention)

    def _limit_buy_hold(self, price: int, quantity: int) -> int:
        """H(r) = notional(price, r) + taker fee on it."""
        notional = price * quantity // self.scale
        return notional - (-notional * self.taker_bps // BPS)

    def _market_buy_cost(self, user_id: UUID, quantity: int, stp: str) -> int:
        """What buying ``quantity`` now costs, fee per fill as matching will charge it (or what the book has)."""
        cost, wanted = 0, quantity
        for maker in self._walk(SELL, user_id, stp):
            take = min(maker.remaining, wanted)
            notional = maker.price * take // self.scale
            cost += notional - (-notional * self.taker_bps // BPS)
            wanted -= take
            if not wanted:
                break
        return cost

    def _walk(self, side: str, user_id: UUID, stp: str, limit: int | None = None):  # type: ignore[no-untyped-def]
        """Resting orders of ``side`` in matching order that a taker would trade with, as self-trade prevention lets it."""
        prices = self._prices[side] if side == SELL else list(reversed(self._prices[side]))
        for price in prices:
            if limit is not None and (price > limit if side == SELL else price < limit):
                return
            for maker in self._levels[side][price].values():
                if maker.user_id == user_id:
                    if stp == CANCEL_MAKER:
                        continue
                    return
                yield maker

    def _fok_fillable(self, taker: Order) -> bool:
        opposite = SELL if taker.side == BUY else BUY
        limit = taker.price if taker.type == LIMIT else None
        available = 0
        for maker in self._walk(opposite, taker.user_id, taker.self_trade_prevention, limit):
            available += maker.remaining
            if available >= taker.quantity:
                return True
        return False

    def _match(self, taker: Order, fills: list[Fill], at: datetime) -> str:
        """Trade until the taker is done or the book stops it; returns why matching stopped."""
        opposite = SELL if taker.side == BUY else BUY
        levels, prices = self._levels[opposite], self._prices[opposite]
        by_quote = taker.type == MARKET and taker.side == BUY
        limit = taker.price if taker.type == LIMIT else None
        while by_quote or taker.remaining:
            if not prices:
                return "no_liquidity"
            price = prices[0] if opposite == SELL else prices[-1]
            if limit is not None and (price > limit if opposite == SELL else price < limit):
                return "limit"
            maker = next(iter(levels[price].values()))
            if maker.user_id == taker.user_id:
                stp = taker.self_trade_prevention
                if stp != CANCEL_TAKER:
                    self._close(maker, CANCELLED, "self_trade_prevention", at)
                if stp != CANCEL_MAKER:
                    return "self_trade_prevention"
                continue
            quantity = min(maker.remaining, taker.remaining) if not by_quote else self._affordable(maker, taker.hold)
            if by_quote and taker.quantity:
                quantity = min(quantity, taker.quantity - taker.filled)
            if quantity == 0:
                return "budget_spent"
            self._trade(taker, maker, price, quantity, fills, at)
            if by_quote and taker.quantity and taker.filled == taker.quantity:
                return "filled"
        return "filled"

    def _affordable(self, maker: Order, budget: int) -> int:
        """The most whole lots of ``maker`` a market buy can pay for, taker fee included."""
        market = self.market
        assert market is not None
        lot = market.lot_size
        quantity = budget * BPS * self.scale // ((BPS + self.taker_bps) * maker.price)
        quantity = min(quantity - quantity % lot, maker.remaining)
        while quantity > 0:
            notional = maker.price * quantity // self.scale
            if notional - (-notional * self.taker_bps // BPS) <= budget:
                break
            quantity -= lot
        return quantity

    def _trade(self, taker: Order, maker: Order, price: int, quantity: int, fills: list[Fill], at: datetime) -> None:
        notional = price * quantity // self.scale
        taker_rule = -(-notional * self.taker_bps // BPS)
        maker_rule = -(-notional * self.maker_bps // BPS)
        if taker.side == BUY:
            buyer, buyer_rule = taker, taker_rule
        else:
            buyer, buyer_rule = maker, maker_rule
        if buyer.type == LIMIT:
            before = self._limit_buy_hold(buyer.price, buyer.remaining)
            after = self._limit_buy_hold(buyer.price, buyer.remaining - quantity)
            buyer_fee = min(buyer_rule, before - after - notional)
            released = before - after - notional - buyer_fee
        else:
            buyer_fee, released = buyer_rule, 0
        taker_fee = buyer_fee if taker.side == BUY else taker_rule
        maker_fee = maker_rule if taker.side == BUY else buyer_fee
        trade_id = self._trade_id(self._trades + 1)
        self._record(
            TradeExecuted(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                trade_id=trade_id,
                price=price,
                quantity=quantity,
                notional=notional,
                taker_order_id=taker.id,
                taker_user_id=taker.user_id,
                taker_side=taker.side,
                maker_order_id=maker.id,
                maker_user_id=maker.user_id,
                taker_fee=taker_fee,
                maker_fee=maker_fee,
                buyer_paid=notional + buyer_fee,
                buyer_released=released,
            )
        )
        fills.append(Fill(trade_id, price, quantity, taker_fee, "taker"))

    def _final_status(self, taker: Order, reason: str) -> tuple[str, str]:
        if reason == "self_trade_prevention":
            return CANCELLED, reason
        if taker.type == MARKET and taker.side == BUY and not taker.quantity:
            return (FILLED, reason) if reason == "budget_spent" and taker.filled else (EXPIRED, reason)
        if taker.remaining == 0:
            return FILLED, "filled"
        return EXPIRED, "no_liquidity" if reason == "no_liquidity" else "unfilled"

    def _close(self, order: Order, status: str, reason: str, at: datetime) -> None:
        self._record(
            OrderClosed(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                order_id=order.id,
                user_id=order.user_id,
                status=status,
                reason=reason,
                released=order.hold,
            )
        )

    # ----- applying -----

    def _apply(self, event: DomainEvent) -> None:
        _APPLY[type(event)](self, event)

    def _apply_opened(self, e: MarketOpened) -> None:
        self.market = e
        self.scale = 10**e.decimals
        self.maker_bps, self.taker_bps = e.maker_fee_bps, e.taker_fee_bps

    def _apply_accepted(self, e: OrderAccepted) -> None:
        order = Order(e)
        self.open_orders.add(order)
        self.ledger.hold(e.user_id, USD if e.side == BUY else self.asset, e.hold)
        if order.rests:
            self._rest(order)

    def _rest(self, order: Order) -> None:
        side, price = order.side, order.price
        level = self._levels[side].get(price)
        if level is None:
            self._levels[side][price] = OrderedDict(((order.id, order),))
            self._totals[side][price] = order.remaining
            insort(self._prices[side], price)
        else:
            level[order.id] = order
            self._totals[side][price] += order.remaining

    def _apply_trade(self, e: TradeExecuted) -> None:
        taker, maker = self.open_orders[e.taker_order_id], self.open_orders[e.maker_order_id]
        quantity = e.quantity
        if e.taker_side == BUY:
            buyer, seller, seller_fee = taker, maker, e.maker_fee
        else:
            buyer, seller, seller_fee = maker, taker, e.taker_fee
        ledger = self.ledger
        ledger.spend_held(buyer.user_id, USD, e.buyer_paid)
        if e.buyer_released:
            ledger.release(buyer.user_id, USD, e.buyer_released)
        ledger.credit(buyer.user_id, self.asset, quantity)
        ledger.spend_held(seller.user_id, self.asset, quantity)
        ledger.credit(seller.user_id, USD, e.notional - seller_fee)
        ledger.credit(FEE_ACCOUNT, USD, e.taker_fee + e.maker_fee)
        buyer.hold -= e.buyer_paid + e.buyer_released
        seller.hold -= quantity
        _progress(taker, e, e.taker_fee, "taker")
        _progress(maker, e, e.maker_fee, "maker")
        self._totals[maker.side][maker.price] -= quantity
        if taker.rests:
            self._totals[taker.side][taker.price] -= quantity
        self._trades += 1
        if maker.remaining == 0:
            self._retire(maker, FILLED)
        if taker.remaining == 0 and taker.quantity and taker.rests:
            self._retire(taker, FILLED)

    def _apply_closed(self, e: OrderClosed) -> None:
        order = self.open_orders[e.order_id]
        if e.released:
            self.ledger.release(order.user_id, USD if order.side == BUY else self.asset, e.released)
            order.hold -= e.released
        order.updated_at = e.at
        self._retire(order, e.status)

    def _retire(self, order: Order, status: str) -> None:
        """The order leaves the book and memory; whoever holds the object still sees its final state."""
        order.status = status
        self.open_orders.remove(order)
        if order.rests:
            side, price = order.side, order.price
            level = self._levels[side][price]
            del level[order.id]
            if not level:
                del self._levels[side][price]
                del self._totals[side][price]
                prices = self._prices[side]
                del prices[bisect_left(prices, price)]
            else:
                self._totals[side][price] -= order.remaining

    # ----- snapshots -----

    @property
    def trade_count(self) -> int:
        """Trades made on this book since it opened."""
        return self._trades

    def state(self) -> BookState:
        assert self.market is not None, "only an opened market is kept in a snapshot"
        return BookState(
            id=self.id, version=self.version, market=self.market, trades=self._trades,
            orders=[order.state() for order in self.resting()],
        )

    @classmethod
    def from_state(cls, state: BookState, ledger: Ledger, open_orders: OpenOrders) -> OrderBook:
        """The book as it was, its orders back in their levels in the same priority; balances come with the ledger."""
        book = cls(state.id, ledger, open_orders)
        book._apply_opened(state.market)
        book.version = state.version
        book._trades = state.trades
        for kept in state.orders:
            order = Order.from_state(kept)
            open_orders.add(order)
            book._rest(order)
        return book


def _progress(order: Order, e: TradeExecuted, fee: int, liquidity: str) -> None:
    order.filled += e.quantity
    if order.quantity:
        order.remaining -= e.quantity
    order.notional += e.notional
    order.fees += fee
    order.updated_at = e.at
    order.fills.append(Fill(e.trade_id, e.price, e.quantity, fee, liquidity))
    order.status = PARTIALLY_FILLED


_APPLY = {
    TradeExecuted: OrderBook._apply_trade,
    OrderAccepted: OrderBook._apply_accepted,
    OrderClosed: OrderBook._apply_closed,
    MarketOpened: OrderBook._apply_opened,
}
