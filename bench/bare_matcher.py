"""The yardstick: what price-time matching alone costs in plain Python.

No balances, no holds, no fees charged, no events, no order history: sorted
price lists (``bisect``) and one ``deque`` of resting orders per price, the
same data layout as ``domain.orderbook.book.OrderBook``, so the difference
between the two is what the real engine does *besides* matching.

Two rules are kept because they decide *which* trades happen, so without
them the two engines would not trade the same:

- self-trade prevention ``cancel_maker`` (the real engine's default): a
  resting order of the taker's own user is removed, matching goes on;
- a market buy by quote amount spends a budget that includes the taker fee
  (50 bps, rounded up per fill), sized in whole lots, exactly as the real
  engine's ``_affordable`` does. This is done exactly, not approximated by
  quantity: it is three integer operations per fill and keeps the trade
  counts of the two engines identical.

Prices are micro-USD per whole token, quantities base units (see
``domain.shared.money``); the matcher itself only compares and subtracts.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque

BPS = 10_000
NO_LIMIT_ASK = 1 << 62  # a market buy accepts any ask
NO_LIMIT_BID = 0  # a market sell accepts any bid


class Resting:
    __slots__ = ("id", "user", "side", "price", "remaining")

    def __init__(self, id: int, user: int, side: str, price: int, remaining: int) -> None:
        self.id = id
        self.user = user
        self.side = side
        self.price = price
        self.remaining = remaining


class BareMatcher:
    """One market. ``trades`` counts fills (one per maker touched), ``volume`` sums their quantities."""

    def __init__(self, lot_size: int = 10_000, scale: int = 10**6, taker_bps: int = 50) -> None:
        self.lot = lot_size
        self.scale = scale
        self.taker_bps = taker_bps
        self.bids: dict[int, deque[Resting]] = {}
        self.asks: dict[int, deque[Resting]] = {}
        self.bid_prices: list[int] = []  # ascending: best bid last
        self.ask_prices: list[int] = []  # ascending: best ask first
        self.orders: dict[int, Resting] = {}  # resting orders by id
        self.trades = 0
        self.volume = 0

    # ----- commands -----

    def limit(self, order_id: int, user: int, side: str, tif: str, price: int, quantity: int) -> int:
        """A limit order, GTC / IOC / FOK. Returns the number of fills it made."""
        before = self.trades
        if side == "buy":
            if tif == "FOK" and not self._fillable(self.asks, self.ask_prices, True, user, quantity, price):
                return 0
            left = self._take(self.asks, self.ask_prices, True, user, quantity, price)
        else:
            if tif == "FOK" and not self._fillable(self.bids, self.bid_prices, False, user, quantity, price):
                return 0
            left = self._take(self.bids, self.bid_prices, False, user, quantity, price)
        if left and tif == "GTC":
            self._rest(order_id, user, side, price, left)
        return self.trades - before

    def market(self, order_id: int, user: int, side: str, quantity: int, quote_amount: int) -> int:
        """A market order (IOC): by quantity, or a buy by quote amount (fee included). Returns its fill count."""
        before = self.trades
        if side == "buy":
            if quote_amount:
                self._take_quote(user, quote_amount)
            else:
                self._take(self.asks, self.ask_prices, True, user, quantity, NO_LIMIT_ASK)
        else:
            self._take(self.bids, self.bid_prices, False, user, quantity, NO_LIMIT_BID)
        return self.trades - before

    def cancel(self, order_id: int) -> bool:
        """Remove a resting order; False when it is not resting (filled or cancelled already)."""
        order = self.orders.pop(order_id, None)
        if order is None:
            return False
        if order.side == "buy":
            self._unlink(order, self.bids, self.bid_prices)
        else:
            self._unlink(order, self.asks, self.ask_prices)
        return True

    # ----- queries -----

    def best_bid(self) -> int | None:
        return self.bid_prices[-1] if self.bid_prices else None

    def best_ask(self) -> int | None:
        return self.ask_prices[0] if self.ask_prices else None

    # ----- internals -----

    def _take(self, book: dict[int, deque[Resting]], prices: list[int], asks: bool, user: int, quantity: int, limit: int) -> int:
        """Fill ``quantity`` from the opposite ``book`` up to ``limit``; returns what is left."""
        orders = self.orders
        trades = volume = 0
        while quantity and prices:
            price = prices[0] if asks else prices[-1]
            if price > limit if asks else price < limit:
                break
            level = book[price]
            while level:
                maker = level[0]
                if maker.user == user:  # self-trade prevention, cancel_maker
                    level.popleft()
                    del orders[maker.id]
                    continue
                have = maker.remaining
                trades += 1
                if have <= quantity:
                    level.popleft()
                    del orders[maker.id]
                    volume += have
                    quantity -= have
                    if not quantity:
                        break
                else:
                    maker.remaining = have - quantity
                    volume += quantity
                    quantity = 0
                    break
            if not level:
                del book[price]
                if asks:
                    del prices[0]
                else:
                    prices.pop()
        self.trades += trades
        self.volume += volume
        return quantity

    def _take_quote(self, user: int, budget: int) -> None:
        """A market buy spending at most ``budget`` micro-USD, taker fee included, in whole lots."""
        book, prices, orders = self.asks, self.ask_prices, self.orders
        lot, scale, bps = self.lot, self.scale, self.taker_bps
        trades = volume = 0
        while prices:
            price = prices[0]
            level = book[price]
            maker = level[0]
            if maker.user == user:
                level.popleft()
                del orders[maker.id]
            else:
                quantity = budget * BPS * scale // ((BPS + bps) * price)
                quantity -= quantity % lot
                if quantity > maker.remaining:
                    quantity = maker.remaining
                while quantity > 0:
                    notional = price * quantity // scale
                    cost = notional - (-notional * bps // BPS)
                    if cost <= budget:
                        break
                    quantity -= lot
                if quantity <= 0:
                    break
                budget -= cost
                trades += 1
                volume += quantity
                if quantity == maker.remaining:
                    level.popleft()
                    del orders[maker.id]
                else:
                    maker.remaining -= quantity
            if not level:
                del book[price]
                del prices[0]
        self.trades += trades
        self.volume += volume

    def _fillable(self, book: dict[int, deque[Resting]], prices: list[int], asks: bool, user: int, quantity: int, limit: int) -> bool:
        """Whether ``quantity`` is there up to ``limit``, leaving out the taker's own orders (cancel_maker skips them)."""
        found = 0
        for price in prices if asks else reversed(prices):
            if price > limit if asks else price < limit:
                return False
            for maker in book[price]:
                if maker.user != user:
                    found += maker.remaining
                    if found >= quantity:
                        return True
        return False

    def _rest(self, order_id: int, user: int, side: str, price: int, quantity: int) -> None:
        order = Resting(order_id, user, side, price, quantity)
        self.orders[order_id] = order
        if side == "buy":
            book, prices = self.bids, self.bid_prices
        else:
            book, prices = self.asks, self.ask_prices
        level = book.get(price)
        if level is None:
            book[price] = deque((order,))
            insort(prices, price)
        else:
            level.append(order)

    @staticmethod
    def _unlink(order: Resting, book: dict[int, deque[Resting]], prices: list[int]) -> None:
        level = book[order.price]
        if level[0] is order:
            level.popleft()
        elif level[-1] is order:
            level.pop()
        else:
            level.remove(order)
        if not level:
            del book[order.price]
            del prices[bisect_left(prices, order.price)]
