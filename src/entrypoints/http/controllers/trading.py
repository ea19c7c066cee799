"""Trading: orders, the user's fills, estimates, the order book and balances (ORDER_BOOK.md, API.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.live.market import CommittedMarket, channel_key
from application.ports import AccessClaims, IdGenerator
from application.queries import DepthQueries, TradingQueries
from application.settlement.queries import SettlementQueries
from application.trading.commands import CancelAll, CancelOrder, PlaceOrder
from application.trading.exchange import PlacementSnapshot
from application.trading.service import EngineClient
from domain.account.errors import InvalidAmount
from domain.orderbook.book import BUY, NewOrder
from domain.orderbook.errors import InvalidPriceTick, InvalidQuantityLot, MarketNotFound
from domain.orderbook.order import OrderState
from domain.shared.money import MICRO, USD, USD_DECIMALS
from domain.token.errors import TokenNotFound
from domain.token.events import TokenListed
from entrypoints.http.auth import requires
from entrypoints.http.controllers.auth import POSITION_HEADER
from entrypoints.http.presenters import book_levels, depth_snapshot, fill_response, order_response, units, usd
from entrypoints.http.schemas import (
    SettlementRef,
    BalanceResponse,
    CancelledResponse,
    Cursor,
    DepthSnapshotResponse,
    EstimateRequest,
    EstimateResponse,
    Limit,
    MinPosition,
    OrderBookResponse,
    OrderRequest,
    OrderResponse,
    Page,
    PlacementResponse,
    TradeResponse,
    decode_cursor,
    page_of,
    query_time,
    time_parameter,
)
from entrypoints.http.enums import OrderStatusFilter
from entrypoints.http.openapi import problems
from entrypoints.http.units import from_units, ratio

TRADING = {"rate_limit": "trading"}
REPEATED = ResponseSpec(
    PlacementResponse, description="The same client_order_id again: the first placement, unchanged", generate_examples=False
)


def market_of(token: Callable[[str], TokenListed], ref: str) -> TokenListed:
    """A token named by an order: unknown is a broken rule of the order (422), as ORDER_BOOK.md says."""
    try:
        return token(ref)
    except TokenNotFound:
        raise MarketNotFound(f"no market for {ref!r}") from None


async def market_for_command(token: Callable[[str], Awaitable[TokenListed]], ref: str) -> TokenListed:
    """The same for a command: one listed a moment ago, on another process, is waited for (EngineClient.token)."""
    try:
        return await token(ref)
    except TokenNotFound:
        raise MarketNotFound(f"no market for {ref!r}") from None


def new_order(data: OrderRequest | EstimateRequest, token: TokenListed, user_id: UUID, order_id: UUID) -> NewOrder:
    if data.quote_amount is not None and units(data.quote_amount, USD_DECIMALS, InvalidAmount) == 0:
        raise InvalidAmount("quote_amount is more than zero")
    return NewOrder(
        order_id=order_id,
        user_id=user_id,
        side=data.side,
        type=data.type,
        price=units(data.price, USD_DECIMALS, InvalidPriceTick),
        quantity=units(data.quantity, token.decimals, InvalidQuantityLot),
        quote_amount=units(data.quote_amount, USD_DECIMALS, InvalidAmount),
        time_in_force=getattr(data, "time_in_force", None),
        post_only=getattr(data, "post_only", False),
        self_trade_prevention=getattr(data, "self_trade_prevention", "cancel_maker"),
        client_order_id=getattr(data, "client_order_id", None),
    )


class OrdersController(Controller):
    path = "/api/v1/orders"
    tags = ["trading"]
    guards = [requires()]

    @post(
        "/",
        opt=TRADING,
        responses={200: REPEATED},
        summary="Place an order: 201 with the order and its fills once it is durable",
    )
    async def place(
        self, data: OrderRequest, claims: AccessClaims, engine: EngineClient, ids: IdGenerator
    ) -> Response[PlacementResponse]:
        token = await market_for_command(engine.token, data.token_id)
        done = await engine.handle(PlaceOrder(token.token_id, new_order(data, token, claims.user_id, ids())))
        placed: PlacementSnapshot = done.value  # type: ignore[assignment]
        decimals = await engine.decimals(placed.order.token_id)  # a repeat may name another market's order
        body = PlacementResponse(order_response(placed.order, decimals), [fill_response(f, decimals) for f in placed.fills])
        status = HTTP_200_OK if placed.repeated else HTTP_201_CREATED
        return Response(body, status_code=status, headers={POSITION_HEADER: str(done.position)})

    @post("/estimate", status_code=HTTP_200_OK, summary="What an order would fill now; changes nothing")
    async def estimate(
        self, data: EstimateRequest, claims: AccessClaims, market: CommittedMarket, ids: IdGenerator
    ) -> EstimateResponse:
        token = market_of(market.state.token, data.token_id)
        result = market.state.book(token.token_id).estimate(new_order(data, token, claims.user_id, ids()))
        scale = 10**token.decimals
        average = result.notional * scale // result.filled if result.filled else None
        total = result.notional + result.fee if data.side == BUY else result.notional - result.fee
        slippage = None
        if average is not None and result.best_price:
            worse = average - result.best_price if data.side == BUY else result.best_price - average
            slippage = ratio(worse, result.best_price, 6) if worse >= 0 else "-" + ratio(-worse, result.best_price, 6)
        return EstimateResponse(
            token_id=token.token_id,
            side=data.side,
            filled_quantity=from_units(result.filled, token.decimals),
            average_price=ratio(result.notional * scale, result.filled * MICRO, USD_DECIMALS) if result.filled else None,
            notional=usd(result.notional),
            fee=usd(result.fee),
            total=usd(total),
            best_price=usd(result.best_price) if result.best_price else None,
            worst_price=usd(result.last_price) if result.last_price else None,
            slippage=slippage,
            fully_filled=result.complete,
            fok_would_succeed=result.complete and bool(data.quantity),
        )

    @get("/", responses=problems(404), summary="The user's orders, newest first")
    async def list_orders(
        self,
        claims: AccessClaims,
        trading_queries: TradingQueries,
        market: CommittedMarket,
        status: OrderStatusFilter = OrderStatusFilter.ALL,
        token_id: str | None = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[OrderResponse]:
        token = market.state.token(token_id).token_id if token_id else None
        rows = await trading_queries.orders(
            claims.user_id, status, token, limit + 1, decode_cursor(cursor, int), min_position
        )
        page = page_of(rows, limit, lambda r: r.seq)
        return Page([order_response(r, market.state.tokens[r.token_id].decimals) for r in page.items], page.next_cursor)

    @get("/{order_id:uuid}", summary="One of the user's orders")
    async def get_order(
        self,
        order_id: UUID,
        claims: AccessClaims,
        trading_queries: TradingQueries,
        market: CommittedMarket,
        min_position: MinPosition = None,
    ) -> OrderResponse:
        row = await trading_queries.order(claims.user_id, order_id, min_position)
        return order_response(row, market.state.tokens[row.token_id].decimals)

    @delete("/{order_id:uuid}", status_code=HTTP_200_OK, opt=TRADING, responses=problems(409), summary="Cancel an open order")
    async def cancel(
        self, order_id: UUID, claims: AccessClaims, engine: EngineClient
    ) -> Response[OrderResponse]:
        done = await engine.handle(CancelOrder(claims.user_id, order_id))
        order: OrderState = done.value  # type: ignore[assignment]
        body = order_response(order, await engine.decimals(order.token_id))
        return Response(body, headers={POSITION_HEADER: str(done.position)})

    @delete(
        "/",
        status_code=HTTP_200_OK,
        opt=TRADING,
        responses=problems(404),
        summary="Cancel all the user's open orders (of one token)",
    )
    async def cancel_all(
        self, claims: AccessClaims, engine: EngineClient, token_id: str | None = None
    ) -> Response[CancelledResponse]:
        token = (await engine.token(token_id)).token_id if token_id else None
        done = await engine.handle(CancelAll(claims.user_id, token))
        orders: list[OrderState] = done.value  # type: ignore[assignment]
        body = CancelledResponse([order_response(o, await engine.decimals(o.token_id)) for o in orders])
        return Response(body, headers={POSITION_HEADER: str(done.position)})


class TradesController(Controller):
    path = "/api/v1/trades"
    tags = ["trading"]
    guards = [requires()]

    @get("/", responses=problems(404), summary="The user's own fills, newest first")
    async def list_trades(
        self,
        claims: AccessClaims,
        trading_queries: TradingQueries,
        settlement_queries: SettlementQueries,
        market: CommittedMarket,
        token_id: str | None = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[TradeResponse]:
        token = market.state.token(token_id).token_id if token_id else None
        rows = await trading_queries.fills(claims.user_id, token, limit + 1, decode_cursor(cursor, int), min_position)
        page = page_of(rows, limit, lambda r: r.seq)
        settled = await settlement_queries.settled([r.trade_id for r in page.items])
        return Page(
            [
                TradeResponse(
                    r.trade_id, r.order_id, r.token_id, r.side, usd(r.price),
                    from_units(r.quantity, market.state.tokens[r.token_id].decimals), usd(r.fee), r.liquidity, r.at,
                    SettlementRef(*settled[r.trade_id]) if r.trade_id in settled else None,
                )
                for r in page.items
            ],
            page.next_cursor,
        )


class OrderBookController(Controller):
    path = "/api/v1/orderbook"
    tags = ["market data"]

    @get("/{token_ref:str}", summary="Order book depth: bids high to low, asks low to high")
    async def order_book(
        self, token_ref: str, market: CommittedMarket, depth: Annotated[int, Parameter(ge=1, le=500)] = 50
    ) -> OrderBookResponse:
        """``sequence`` is the ``orderbook`` channel's: the WebSocket's updates numbered after it follow this answer."""
        token = market.state.token(token_ref)
        bids, asks = book_levels(market.state.book(token.token_id), token.decimals, depth)
        sequence = market.sequence(channel_key("orderbook", token.token_id))
        return OrderBookResponse(token.token_id, sequence, bids, asks, datetime.now(UTC))

    @get("/{token_ref:str}/snapshots", summary="The book's depth at each minute boundary, oldest first")
    async def snapshots(
        self,
        token_ref: str,
        market: CommittedMarket,
        depth_queries: DepthQueries,
        from_: Annotated[datetime | None, time_parameter("from")] = None,
        to: Annotated[datetime | None, time_parameter("to")] = None,
    ) -> list[DepthSnapshotResponse]:
        """One point per whole UTC minute in ``[from, to]`` (default the last hour), from the listing up to now:
        the top 50 levels and the ``orderbook`` sequence after every event before that minute. At most 1,440."""
        token = market.state.token(token_ref)
        start, end = query_time(from_, "from"), query_time(to, "to")
        points = await depth_queries.snapshots(token.token_id, start, end, token.at)
        return [depth_snapshot(p, token.decimals) for p in points]


class BalancesController(Controller):
    path = "/api/v1/users/me/balances"
    tags = ["users"]
    guards = [requires()]

    @get("/", summary="What the user has of each asset: available, held by open orders, total")
    async def balances(self, claims: AccessClaims, market: CommittedMarket) -> list[BalanceResponse]:
        state = market.state
        held = state.ledger.balances_of(claims.user_id)
        held.setdefault(USD, (0, 0))
        ordered = sorted(held, key=lambda a: (a != USD, state.asset_name(a)))
        return [
            BalanceResponse(
                state.asset_name(a),
                from_units(held[a][0], state.decimals(a)),
                from_units(held[a][1], state.decimals(a)),
                from_units(held[a][0] + held[a][1], state.decimals(a)),
            )
            for a in ordered
        ]
