"""The demo's trading: every order through the real engine, on prices that follow a story.

Each token has a fair price over the week: its drift to the move its
creator's seed names (``week``, then ``last_day`` over the last 24 hours)
plus a mean-reverting wobble. A trading moment makes sure someone quotes near
that price (the creator selling part of the supply, or a holder; a trader
bidding), then a trader takes it with an IOC limit order, and now and then
someone rests an order further out or cancels one gone stale. So trades
print near the fair price, books stay two-sided, and the candles, 24h
figures and trending have a shape to show. Orders that a balance cannot pay
for are not sent: the demo asks the ledger first, as a careful client would.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from application.trading.exchange import Exchange, PlacementSnapshot
from domain.orderbook.book import OrderBook
from domain.orderbook.order import BUY, GTC, IOC, LIMIT, SELL, NewOrder
from domain.shared.money import MAKER_FEE_BPS, TAKER_FEE_BPS, USD, fee, notional
from domain.token.events import TokenListed
from entrypoints.demo_data import CreatorSeed

WOBBLE_STEP = 0.05  # days between two samples of a price's wobble
WOBBLE_KEEP = 0.85  # how much of the wobble each step keeps
WOBBLE_SIZE = 0.012  # its fresh part per step, in log-price
STALE_AFTER = timedelta(days=1.5)  # a resting order older than this and far from the price may be cancelled


@dataclass
class Market:
    seed: CreatorSeed
    listing: TokenListed
    owner: UUID  # the creator's user, who holds the supply
    listed_day: float
    wobble: list[float] = field(default_factory=list)

    @property
    def token_id(self) -> UUID:
        return self.listing.token_id


@dataclass
class Trader:
    """Someone who trades, and how much they like each token (a fan likes their creator's five times more)."""

    user_id: UUID
    rng: random.Random
    fan_of: UUID | None = None  # a token id
    likes: dict[UUID, float] = field(default_factory=dict)

    def liking(self, token_id: UUID) -> float:
        if token_id not in self.likes:
            self.likes[token_id] = self.rng.lognormvariate(0, 1) * (5 if token_id == self.fan_of else 1)
        return self.likes[token_id]


class Trading:
    """Drives the engine for the demo: the caller sets the clock, this decides and places the orders."""

    def __init__(self, exchange: Exchange, rng: random.Random, new_id: Callable[[], UUID]) -> None:
        self._exchange, self._rng = exchange, rng
        self._new_id = new_id
        self.markets: list[Market] = []
        self.traders: list[Trader] = []
        self.trades = 0
        self.orders = 0
        self.cancelled = 0

    # ----- prices -----

    def add_market(self, market: Market, until_day: float) -> None:
        steps = int((until_day - market.listed_day) / WOBBLE_STEP) + 2
        x, wobble = 0.0, []
        for _ in range(steps):
            wobble.append(x)
            x = WOBBLE_KEEP * x + self._rng.gauss(0, WOBBLE_SIZE)
        market.wobble = wobble
        self.markets.append(market)

    def fair(self, market: Market, day: float) -> int:
        """The price the story wants at ``day``, in micro-USD per token, on the tick."""
        seed, start = market.seed, market.listed_day
        week_end = 6.0
        if day <= week_end:
            drift = math.log1p(seed.week) * (day - start) / max(week_end - start, 1e-9)
        else:
            drift = math.log1p(seed.week) + math.log1p(seed.last_day) * min(day - week_end, 1.0)
        k = (day - start) / WOBBLE_STEP
        i = min(int(k), len(market.wobble) - 2)
        wobble = market.wobble[i] + (market.wobble[i + 1] - market.wobble[i]) * (k - i)
        return self._tick(market, market.listing.initial_price * math.exp(drift + wobble))

    def _tick(self, market: Market, price: float) -> int:
        tick = market.listing.tick_size
        return max(tick, round(price / tick) * tick)

    def _lots(self, market: Market, tokens: float) -> int:
        lot = market.listing.lot_size
        scale = 10**market.listing.decimals
        return max(market.listing.min_size, int(tokens * scale) // lot * lot)

    # ----- what a moment of trading does -----

    async def open_with_asks(self, market: Market) -> None:
        """The creator offers some of the supply on a ladder above the listing price, each step a few hundred
        dollars' worth: small enough that buyers walk the price up it."""
        price = market.listing.initial_price
        for step in (1.01, 1.03, 1.06, 1.10, 1.15, 1.22):
            tokens = self._rng.uniform(200, 1_500) * 1e6 / price
            await self._place(market, market.owner, SELL, self._tick(market, price * step), self._lots(market, tokens))

    async def moment(self, market: Market, day: float, now: datetime) -> None:
        """One trader takes the market; first someone quotes near the price if nobody does."""
        rng = self._rng
        fair = self.fair(market, day)
        book = self._exchange.state.book(market.token_id)
        usd_value = min(2_500.0, max(10.0, rng.lognormvariate(math.log(120), 0.8)))
        tokens = usd_value * 1e6 / fair
        buying = rng.random() < 0.5
        seller = self._holder(market, exclude=None) if not buying else None
        if not buying and seller is None:
            buying = True
        if buying:
            taker = self._buyer(market, fair, tokens, exclude=None)
            if taker is None:
                return
            best = book.best(SELL)
            if best is None or best > fair * 1.03:
                maker = self._holder(market, exclude=taker) if rng.random() < 0.4 else None
                await self._place(market, maker or market.owner, SELL, self._tick(market, fair * (1 + rng.uniform(0.002, 0.02))),
                                  self._sellable(market, maker or market.owner, tokens * rng.uniform(1.0, 2.5)))
            limit = self._tick(market, fair * (1 + rng.uniform(0.01, 0.03)))
            await self._place(market, taker, BUY, limit, self._lots(market, tokens), IOC)
        else:
            assert seller is not None
            best = book.best(BUY)
            if best is None or best < fair * 0.97:
                maker = self._buyer(market, fair, tokens * 2.5, exclude=seller)
                if maker is not None:
                    await self._place(market, maker, BUY, self._tick(market, fair * (1 - rng.uniform(0.002, 0.02))),
                                      self._lots(market, tokens * rng.uniform(1.0, 2.5)))
            limit = self._tick(market, fair * (1 - rng.uniform(0.01, 0.03)))
            await self._place(market, seller, SELL, limit, self._sellable(market, seller, tokens))
        if rng.random() < 0.4:
            await self.rest_away(market, fair)
        if rng.random() < 0.2:
            await self._tidy(market, book, fair, now)

    async def rest_away(self, market: Market, fair: int, side: str | None = None) -> None:
        """An order resting a little away from the price: depth for the book."""
        rng = self._rng
        side = side or (BUY if rng.random() < 0.5 else SELL)
        tokens = min(2_500.0, max(10.0, rng.lognormvariate(math.log(150), 0.9))) * 1e6 / fair
        if side == BUY:
            price = self._tick(market, fair * (1 - rng.uniform(0.01, 0.10)))
            buyer = self._buyer(market, price, tokens, exclude=None)
            if buyer is not None:
                await self._place(market, buyer, BUY, price, self._lots(market, tokens))
        else:
            holder = self._holder(market, exclude=None) if rng.random() < 0.5 else None
            owner = holder or market.owner
            await self._place(market, owner, SELL, self._tick(market, fair * (1 + rng.uniform(0.01, 0.12))),
                              self._sellable(market, owner, tokens))

    async def fill_out(self, market: Market, day: float) -> None:
        """At the end: at least four bids and four asks near the price, on every book."""
        fair = self.fair(market, day)
        book = self._exchange.state.book(market.token_id)
        for side in (BUY, SELL):
            for _ in range(12):
                near = [p for p, _, _ in book.depth(side, 50) if abs(p / fair - 1) <= 0.12]
                if len(near) >= 4:
                    break
                await self.rest_away(market, fair, side)

    async def _tidy(self, market: Market, book: OrderBook, fair: int, now: datetime) -> None:
        """Cancel up to two stale orders that rest far from the price, oldest first."""
        stale = [o for o in book.resting() if now - o.created_at > STALE_AFTER and abs(o.price / fair - 1) > 0.08]
        for order in sorted(stale, key=lambda o: o.created_at)[:2]:
            await self._exchange.cancel(order.user_id, order.id)
            self.cancelled += 1

    # ----- who -----

    def _buyer(self, market: Market, price: int, tokens: float, exclude: UUID | None) -> UUID | None:
        """A trader who likes this token and can pay for ``tokens`` at ``price``; more money, more often."""
        cost = self._buy_cost(market, price, self._lots(market, tokens))
        ledger = self._exchange.state.ledger
        able = [t for t in self.traders if t.user_id != exclude and ledger.available(t.user_id, USD) >= cost]
        if not able:
            return None
        return self._rng.choices(able, weights=[t.liking(market.token_id) for t in able])[0].user_id

    def _holder(self, market: Market, exclude: UUID | None) -> UUID | None:
        """A trader holding some of this token, the larger holders more often."""
        ledger, asset, lot = self._exchange.state.ledger, str(market.token_id), market.listing.lot_size
        holding = [(t.user_id, ledger.available(t.user_id, asset)) for t in self.traders if t.user_id != exclude]
        holding = [(u, a) for u, a in holding if a >= lot]
        if not holding:
            return None
        return self._rng.choices([u for u, _ in holding], weights=[math.sqrt(a) for _, a in holding])[0]

    def _sellable(self, market: Market, owner: UUID, tokens: float) -> int:
        available = self._exchange.state.ledger.available(owner, str(market.token_id))
        lot = market.listing.lot_size
        return min(self._lots(market, tokens), available // lot * lot)

    def _buy_cost(self, market: Market, price: int, quantity: int) -> int:
        amount = notional(price, quantity, 10**market.listing.decimals)
        return amount + fee(amount, max(TAKER_FEE_BPS, MAKER_FEE_BPS))

    async def _place(self, market: Market, user_id: UUID, side: str, price: int, quantity: int, tif: str = GTC) -> None:
        if quantity < market.listing.min_size:
            return
        ledger = self._exchange.state.ledger
        if side == BUY and ledger.available(user_id, USD) < self._buy_cost(market, price, quantity):
            return
        new = NewOrder(self._new_id(), user_id, side, LIMIT, price=price, quantity=quantity, time_in_force=tif)
        done = await self._exchange.place(market.token_id, new)
        placed: PlacementSnapshot = done.value  # type: ignore[assignment]
        self.orders += 1
        self.trades += len(placed.fills)


def spread_days(rng: random.Random, count: int, start: float, end: float) -> list[float]:
    """``count`` moments between two days, at random. (No daily rhythm by the clock: the week ends when the
    demo runs, and the same seed makes the same market whatever the hour.)"""
    return sorted(rng.uniform(start, end) for _ in range(count))
