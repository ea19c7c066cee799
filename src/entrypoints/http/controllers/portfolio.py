"""Portfolio, investments, balance history, transfers and withdrawals (PORTFOLIO.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.handlers.money import Asset, MoneyMovement
from application.live.market import CommittedMarket
from application.portfolio_queries import Holding, PortfolioQueries
from application.ports import AccessClaims
from application.projections.portfolio import WithdrawalRow
from application.trading.exchange import Repeatable, WithdrawalEnded
from domain.account.errors import InvalidAmount
from domain.account.events import Transferred, WithdrawalRequested
from domain.account.movements import check_key
from domain.shared.money import MICRO, USD, USD_DECIMALS
from domain.token.events import TokenListed
from entrypoints.http.auth import requires
from entrypoints.http.controllers.auth import POSITION_HEADER
from entrypoints.http.controllers.trading import TRADING
from entrypoints.http.enums import HistoryInterval
from entrypoints.http.openapi import problems
from entrypoints.http.portfolio_schemas import (
    BalancePointResponse,
    CashResponse,
    HoldingResponse,
    InvestmentResponse,
    PortfolioResponse,
    TransferRequest,
    TransferResponse,
    WithdrawalFeeResponse,
    WithdrawalRequest,
    WithdrawalResponse,
)
from entrypoints.http.presenters import usd
from entrypoints.http.schemas import (
    Cursor,
    Limit,
    MinPosition,
    Page,
    decode_time_cursor,
    page_of,
    query_time,
    time_key,
    time_parameter,
)
from entrypoints.http.units import from_units, ratio, to_units

IdempotencyKey = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        max_length=1000,
        description="1 to 100 characters: a retry with the same key answers the first result and moves nothing again.",
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"


def amount_units(text: str, decimals: int) -> int:
    """A positive multiple of the asset's smallest unit; anything else (zero, negative, off the step, not a
    number) is ``422 invalid_amount``."""
    try:
        units = to_units(text, decimals)
    except ValueError as error:
        raise InvalidAmount(str(error)) from None
    if units <= 0:
        raise InvalidAmount("an amount is more than zero")
    return units


def average_cost(cost_basis: int, quantity: int, decimals: int) -> str | None:
    """USD per whole token, rounded half-even to 6 decimals; None at quantity 0."""
    return ratio(cost_basis * 10**decimals, quantity * MICRO, USD_DECIMALS) if quantity > 0 else None


def holding_response(h: Holding) -> HoldingResponse:
    p, d = h.position, h.token.decimals
    return HoldingResponse(
        token_id=h.token.token_id,
        symbol=h.token.symbol,
        quantity=from_units(p.quantity, d),
        average_cost=average_cost(p.cost_basis, p.quantity, d),
        cost_basis=usd(p.cost_basis),
        price=usd(h.price) if h.price is not None else None,
        value=usd(h.value),
        unrealized_pnl=usd(h.unrealized_pnl),
    )


def investment_response(h: Holding) -> InvestmentResponse:
    p, d = h.position, h.token.decimals
    return InvestmentResponse(
        token_id=h.token.token_id,
        symbol=h.token.symbol,
        quantity=from_units(p.quantity, d),
        invested=usd(p.invested),
        returned=usd(p.returned),
        average_cost=average_cost(p.cost_basis, p.quantity, d),
        realized_pnl=usd(p.realized_pnl),
        unrealized_pnl=usd(h.unrealized_pnl),
        trades=p.trades,
        first_trade_at=p.first_trade_at,
        last_trade_at=p.last_trade_at,
    )


def asset_of(key: str, tokens: Mapping[UUID, TokenListed]) -> tuple[str, int]:
    """A ledger's asset key as people read it: the symbol, and the decimals of its amounts."""
    if key == USD:
        return USD, USD_DECIMALS
    token = tokens[UUID(key)]
    return token.symbol, token.decimals


def withdrawal_row(requested: WithdrawalRequested, status: str = "pending", at: datetime | None = None) -> WithdrawalRow:
    """A withdrawal the engine just decided on, shaped as the view will keep it."""
    r = requested
    return WithdrawalRow(r.originator_id, r.owner, r.asset, r.amount, r.network_fee, r.to_address, status, None, r.at, at or r.at)


def withdrawal_response(w: WithdrawalRow, tokens: Mapping[UUID, TokenListed]) -> WithdrawalResponse:
    symbol, d = asset_of(w.asset, tokens)
    return WithdrawalResponse(
        id=w.id,
        asset=symbol,
        amount=from_units(w.amount, d),
        network_fee=from_units(w.network_fee, d),
        to_address=w.to_address,
        status=w.status,
        digest=w.digest,
        created_at=w.created_at,
        updated_at=w.updated_at,
    )


async def _request(money: MoneyMovement, key: str | None, asset: str, amount: str) -> tuple[str, Asset, int]:
    """What a transfer or withdrawal names, checked in this order: the key, the asset, the amount."""
    checked = check_key(key) if key is not None else ""
    found = await money.asset(asset)
    return checked, found, amount_units(amount, found.decimals)


def _answer(body: object, done_position: int, repeated: bool, status: int = HTTP_201_CREATED) -> Response[object]:
    headers = {POSITION_HEADER: str(done_position)}
    if repeated:
        headers[REPLAYED_HEADER] = "true"
    return Response(body, status_code=status, headers=headers)


class PortfolioController(Controller):
    path = "/api/v1/users/me"
    tags = ["portfolio"]
    guards = [requires()]

    @get("/portfolio", responses=problems(503), summary="Cash, holdings at market prices, cost basis and profit")
    async def portfolio(
        self, claims: AccessClaims, market: CommittedMarket, portfolio_queries: PortfolioQueries, min_position: MinPosition = None
    ) -> PortfolioResponse:
        found = await portfolio_queries.portfolio(claims.user_id, market, min_position)
        return PortfolioResponse(
            total_value=usd(found.total_value),
            cash=CashResponse(usd(found.cash_available), usd(found.cash_held), usd(found.cash_total)),
            holdings=[holding_response(h) for h in found.holdings],
            realized_pnl=usd(found.realized_pnl),
            fees_paid=usd(found.fees_paid),
            as_of_position=found.as_of_position,
        )

    @get("/investments", responses=problems(503), summary="Every token the user ever held: invested, returned, profit")
    async def investments(
        self, claims: AccessClaims, market: CommittedMarket, portfolio_queries: PortfolioQueries, min_position: MinPosition = None
    ) -> list[InvestmentResponse]:
        found = await portfolio_queries.portfolio(claims.user_id, market, min_position)
        return [investment_response(h) for h in found.investments]

    @get(
        "/balance-history",
        responses=problems(503),
        summary="Total value at each interval end, oldest first, valued at the last trade prices then",
    )
    async def balance_history(
        self,
        claims: AccessClaims,
        market: CommittedMarket,
        portfolio_queries: PortfolioQueries,
        interval: HistoryInterval = HistoryInterval.D1,
        from_: Annotated[datetime | None, time_parameter("from")] = None,
        to: Annotated[datetime | None, time_parameter("to")] = None,
    ) -> list[BalancePointResponse]:
        points = await portfolio_queries.balance_history(
            claims.user_id, market, interval, query_time(from_, "from"), query_time(to, "to")
        )
        return [BalancePointResponse(p.t, usd(p.total_value), usd(p.cash), usd(p.holdings_value)) for p in points]

    @post(
        "/withdrawals",
        opt=TRADING,
        responses=problems(404, 409, 503),
        summary="Withdraw to a Sui address: amount + network fee held at once, pending until a settlement batch",
    )
    async def withdraw(
        self, data: WithdrawalRequest, claims: AccessClaims, money: MoneyMovement, idempotency_key: IdempotencyKey = None
    ) -> Response[WithdrawalResponse]:
        key, asset, amount = await _request(money, idempotency_key, data.asset, data.amount)
        tokens = await money.listed()
        done = await money.withdraw(owner=claims.user_id, to_address=data.to_address, asset=asset, amount=amount, key=key)
        outcome: Repeatable = done.value  # type: ignore[assignment]
        assert isinstance(outcome.value, WithdrawalRequested)
        return _answer(withdrawal_response(withdrawal_row(outcome.value), tokens), done.position, outcome.repeated)

    @get("/withdrawals", summary="The user's withdrawals, newest first")
    async def withdrawals(
        self,
        claims: AccessClaims,
        market: CommittedMarket,
        portfolio_queries: PortfolioQueries,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[WithdrawalResponse]:
        at_least = max(min_position or 0, market.position)  # a withdrawal this process acknowledged shows at once
        rows = await portfolio_queries.withdrawals(claims.user_id, limit + 1, decode_time_cursor(cursor), at_least)
        page = page_of(rows, limit, lambda w: time_key(w.created_at, w.id))
        return Page([withdrawal_response(w, market.state.tokens) for w in page.items], page.next_cursor)

    @delete(
        "/withdrawals/{withdrawal_id:uuid}",
        status_code=HTTP_200_OK,
        opt=TRADING,
        responses=problems(409, 503),
        summary="Cancel a pending withdrawal: its hold is released",
    )
    async def cancel_withdrawal(
        self, withdrawal_id: UUID, claims: AccessClaims, money: MoneyMovement
    ) -> Response[WithdrawalResponse]:
        tokens = await money.listed()
        done = await money.cancel_withdrawal(claims.user_id, withdrawal_id)
        ended: WithdrawalEnded = done.value  # type: ignore[assignment]
        body = withdrawal_response(withdrawal_row(ended.requested, ended.status, ended.at), tokens)
        return Response(body, headers={POSITION_HEADER: str(done.position)})


class TransfersController(Controller):
    path = "/api/v1/transfers"
    tags = ["portfolio"]
    guards = [requires()]

    @post(
        "/",
        opt=TRADING,
        responses=problems(404, 409, 503),
        summary="Send an asset to another user: they receive the amount, you pay it and a 0.1% fee",
    )
    async def transfer(
        self, data: TransferRequest, claims: AccessClaims, money: MoneyMovement, idempotency_key: IdempotencyKey = None
    ) -> Response[TransferResponse]:
        key, asset, amount = await _request(money, idempotency_key, data.asset, data.amount)
        done = await money.transfer(
            sender=claims.user_id, sender_address=claims.address, to_address=data.to_address, asset=asset, amount=amount, key=key
        )
        outcome: Repeatable = done.value  # type: ignore[assignment]
        made = outcome.value
        assert isinstance(made, Transferred)
        body = TransferResponse(
            id=made.originator_id,
            asset=asset.symbol,
            amount=from_units(made.amount, asset.decimals),
            fee=from_units(made.fee, asset.decimals),
            to_address=made.to_address,
            from_address=made.from_address,
            status="completed",
            created_at=made.at,
        )
        return _answer(body, done.position, outcome.repeated)


class WithdrawalFeesController(Controller):
    path = "/api/v1/withdrawal-fees"
    tags = ["portfolio"]

    @get("/", summary="The flat network fee a withdrawal of each asset pays")
    async def fees(self, money: MoneyMovement, market: CommittedMarket) -> list[WithdrawalFeeResponse]:
        assets = [Asset(USD, USD, USD_DECIMALS)] + [
            Asset(str(t.token_id), t.symbol, t.decimals) for t in sorted(market.state.tokens.values(), key=lambda t: t.symbol)
        ]
        return [WithdrawalFeeResponse(a.symbol, from_units(money.network_fee(a), a.decimals)) for a in assets]
