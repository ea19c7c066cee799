"""Portfolio, investments and balance history (PORTFOLIO.md): the portfolio view, valued at market prices.

Quantities, cost basis and realized PnL come from the portfolio view, all
read at one position (``as_of_position``); prices are the committed market's
(the last trade, or the listing price before any). The split of cash into
available and held is the committed market's too: the view keeps totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.errors import InvalidQuery
from application.live.market import CommittedMarket
from application.projections.portfolio import HISTORY_INTERVALS, PortfolioView, Position, WithdrawalRow, value_of
from application.ports import Clock
from application.queries import MarketQueries, ReadYourWrites, interval_range
from domain.shared.money import USD
from domain.token.events import TokenListed

HISTORY_POINTS = 30  # by default
MAX_HISTORY_POINTS = 1_000


@dataclass(frozen=True, slots=True)
class Holding:
    token: TokenListed
    position: Position
    price: int | None  # micro-USD per whole token; None when it has neither traded nor a listing price
    value: int

    @property
    def unrealized_pnl(self) -> int:
        return self.value - self.position.cost_basis


@dataclass(frozen=True, slots=True)
class Portfolio:
    as_of_position: int
    cash_available: int
    cash_held: int
    cash_total: int
    holdings: list[Holding]  # quantity above 0, largest value first
    investments: list[Holding]  # every token ever held, by symbol
    realized_pnl: int
    fees_paid: int

    @property
    def total_value(self) -> int:
        return self.cash_total + sum(h.value for h in self.holdings)


@dataclass(frozen=True, slots=True)
class BalancePointValue:
    t: datetime  # the interval's end
    cash: int
    holdings_value: int

    @property
    def total_value(self) -> int:
        return self.cash + self.holdings_value


class PortfolioQueries:
    def __init__(
        self,
        view: PortfolioView,
        market_queries: MarketQueries,
        consistency: ReadYourWrites,
        clock: Clock,
    ) -> None:
        self._view, self._market_queries, self._consistency, self._clock = view, market_queries, consistency, clock

    async def portfolio(self, user_id: UUID, market: CommittedMarket, min_position: int | None = None) -> Portfolio:
        """Waits until the view holds what ``market`` holds (a trade just acknowledged shows), or ``min_position``."""
        await self._consistency.reach(self._view.name, max(min_position or 0, market.position))
        position, rows = await self._view.holdings(user_id)
        state = market.state
        cash = next((r for r in rows if r.asset == USD), Position(user_id, USD))
        held = min(state.ledger.held(user_id, USD), max(cash.quantity, 0))
        investments = []
        for row in rows:
            token = state.tokens.get(UUID(row.asset)) if row.asset != USD else None
            if token is None:
                continue
            price = market.ticker(token.token_id).price if token.token_id in state.books else None
            price = price or token.initial_price or None
            investments.append(Holding(token, row, price, value_of(price, row.quantity, token.decimals)))
        investments.sort(key=lambda h: h.token.symbol)
        holdings = sorted((h for h in investments if h.position.quantity > 0), key=lambda h: (-h.value, h.token.symbol))
        return Portfolio(
            as_of_position=position,
            cash_available=cash.quantity - held,
            cash_held=held,
            cash_total=cash.quantity,
            holdings=holdings,
            investments=investments,
            realized_pnl=sum(h.position.realized_pnl for h in investments),
            fees_paid=cash.fees_paid,
        )

    async def withdrawals(
        self, user_id: UUID, limit: int, after: tuple[datetime, UUID] | None, min_position: int | None = None
    ) -> list[WithdrawalRow]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.withdrawals(user_id, limit, after)

    async def balance_history(
        self, user_id: UUID, market: CommittedMarket, interval: str, start: datetime | None, end: datetime | None
    ) -> list[BalancePointValue]:
        """One point per interval end, oldest first, each valued at the last trade prices at its time; by
        default the last 30, the last the end of the current interval (valued as of now)."""
        if interval not in HISTORY_INTERVALS:
            raise InvalidQuery(f"interval is one of {', '.join(HISTORY_INTERVALS)}")
        seconds = HISTORY_INTERVALS[interval]
        step = timedelta(seconds=seconds)
        first, end = interval_range(seconds, start, end, self._clock.now(), HISTORY_POINTS, MAX_HISTORY_POINTS)
        last = end - step
        await self._consistency.reach(self._view.name, market.position)
        stored = await self._view.points(user_id, interval, first, last + step)
        tokens = market.state.tokens
        prices: dict[str, dict[datetime, int]] = {}
        for asset in {p.asset for p in stored if p.asset != USD}:
            token = tokens.get(UUID(asset))
            if token is not None:
                candles = await self._market_queries.candles(
                    token.token_id, interval, first, last + step, token.initial_price, token.at
                )
                prices[asset] = {c.start: c.close for c in candles}
        quantities: dict[str, int] = {}
        found: list[BalancePointValue] = []
        index, at = 0, first
        while at <= last:
            while index < len(stored) and stored[index].start <= at:
                quantities[stored[index].asset] = stored[index].quantity
                index += 1
            holdings = sum(
                value_of(prices[a].get(at), q, tokens[UUID(a)].decimals) for a, q in quantities.items() if a in prices
            )
            found.append(BalancePointValue(at + step, quantities.get(USD, 0), holdings))
            at += step
        return found
