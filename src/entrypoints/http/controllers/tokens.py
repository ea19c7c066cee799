"""Tokens (what a trader needs to place orders) and the admin's listing and deposit endpoints."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.live.follower import MarketFollower
from application.live.market import CommittedMarket
from application.ports import AccessClaims, Chain, IdGenerator
from application.projections.market import Transaction
from application.settlement.queries import SettlementQueries
from application.queries import MarketQueries, ReadYourWrites, UserQueries
from application.trading.commands import ListToken, RecordDeposit
from application.trading.exchange import DepositSnapshot
from application.trading.service import EngineClient
from domain.account.ledger import check_deposit
from domain.account.errors import InvalidAmount
from domain.creator.creator import creator_id_for
from domain.identity.user import user_id_for, wallet_address
from domain.shared.money import USD, USD_DECIMALS
from domain.token.errors import InvalidTokenParameters
from domain.token.events import TokenListed
from domain.token.token import MarketParameters, default_parameters
from entrypoints.http.auth import requires
from entrypoints.http.controllers.auth import POSITION_HEADER
from entrypoints.http.enums import CandleInterval, TokenSort, TransactionKind
from entrypoints.http.presenters import change_24h, market_cap, units, usd
from entrypoints.http.errors import Problem
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import (
    CandleResponse,
    Cursor,
    DepositRequest,
    DepositResponse,
    HolderResponse,
    Limit,
    ListTokenRequest,
    MinPosition,
    Page,
    PublicTradeResponse,
    TokenDetailResponse,
    TransactionResponse,
    decode_cursor,
    page_of,
    query_time,
    time_parameter,
)
from entrypoints.http.units import from_units, ratio


async def token_detail(token: TokenListed, live: CommittedMarket, market: MarketQueries) -> TokenDetailResponse:
    d = token.decimals
    ticker = await market.ticker(token.token_id, token.initial_price)
    book = live.state.book(token.token_id)
    circulating = live.state.circulating(token)
    return TokenDetailResponse(
        id=token.token_id,
        symbol=token.symbol,
        name=token.name,
        creator_id=token.creator_id,
        decimals=d,
        total_supply=from_units(token.total_supply, d),
        circulating_supply=from_units(circulating, d),
        price=usd(ticker.price) if ticker.price else None,
        change_24h=change_24h(ticker),
        volume_24h=from_units(ticker.volume_24h, d),
        quote_volume_24h=usd(ticker.quote_volume_24h),
        high_24h=usd(ticker.high_24h) if ticker.high_24h else None,
        low_24h=usd(ticker.low_24h) if ticker.low_24h else None,
        market_cap=market_cap(ticker, circulating, d),
        holders_count=await market.holders_count(token.token_id),
        best_bid=usd(bid) if (bid := book.best("buy")) else None,
        best_ask=usd(ask) if (ask := book.best("sell")) else None,
        tick_size=usd(token.tick_size),
        lot_size=from_units(token.lot_size, d),
        min_size=from_units(token.min_size, d),
        listed_at=token.at,
    )


SORTS = {
    TokenSort.MARKET_CAP: lambda t: -Decimal(t.market_cap or 0),
    TokenSort.VOLUME_24H: lambda t: -Decimal(t.quote_volume_24h),
    TokenSort.PRICE_CHANGE_24H: lambda t: -Decimal(t.change_24h or 0),
    TokenSort.NEWEST: lambda t: -t.listed_at.timestamp(),
    TokenSort.SYMBOL: lambda t: t.symbol,
}


class TokensController(Controller):
    path = "/api/v1/tokens"
    tags = ["market data"]

    @get("/", summary="Listed tokens with their market figures, sorted")
    async def list_tokens(
        self,
        market: CommittedMarket,
        market_queries: MarketQueries,
        read_your_writes: ReadYourWrites,
        sort: TokenSort = TokenSort.MARKET_CAP,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[TokenDetailResponse]:
        await read_your_writes.reach_head("market")
        details = [await token_detail(t, market, market_queries) for t in market.state.tokens.values()]
        details.sort(key=lambda t: (SORTS[sort](t), t.symbol))
        offset = decode_cursor(cursor, int) or 0
        return page_of(details[offset : offset + limit + 1], limit, lambda _: offset + limit)

    @get("/{token_ref:str}", summary="A token by id or symbol, with its market figures")
    async def get_token(
        self, token_ref: str, market: CommittedMarket, market_queries: MarketQueries, read_your_writes: ReadYourWrites
    ) -> TokenDetailResponse:
        token = market.state.token(token_ref)
        await read_your_writes.reach_head("market")
        return await token_detail(token, market, market_queries)

    @get("/{token_ref:str}/price-history", summary="Candles, oldest first; empty intervals repeat the last close")
    async def price_history(
        self,
        token_ref: str,
        market: CommittedMarket,
        market_queries: MarketQueries,
        interval: CandleInterval = CandleInterval.H1,
        from_: Annotated[datetime | None, time_parameter("from")] = None,
        to: Annotated[datetime | None, time_parameter("to")] = None,
    ) -> list[CandleResponse]:
        token = market.state.token(token_ref)
        start, end = query_time(from_, "from"), query_time(to, "to")
        candles = await market_queries.candles(token.token_id, interval, start, end, token.initial_price, token.at)
        d = token.decimals
        return [
            CandleResponse(c.start, usd(c.open), usd(c.high), usd(c.low), usd(c.close), from_units(c.volume, d), usd(c.quote_volume), c.trades)
            for c in candles
        ]

    @get("/{token_ref:str}/holders", summary="Who holds the token (available + held), largest first")
    async def holders(
        self,
        token_ref: str,
        market: CommittedMarket,
        market_queries: MarketQueries,
        user_queries: UserQueries,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[HolderResponse]:
        token = market.state.token(token_ref)
        offset = decode_cursor(cursor, int) or 0
        rows = await market_queries.holders(token.token_id, limit + 1, offset)
        users = await user_queries.by_ids([r.user_id for r in rows])
        items = [
            HolderResponse(
                r.user_id,
                users[r.user_id].wallet_address if r.user_id in users else r.wallet_address,
                users[r.user_id].username if r.user_id in users else None,
                from_units(r.quantity, token.decimals),
                ratio(r.quantity, token.total_supply, 6),
            )
            for r in rows
        ]
        return page_of(items, limit, lambda _: offset + limit)

    @get("/{token_ref:str}/transactions", summary="The token's public trades, newest first")
    async def transactions(
        self,
        token_ref: str,
        market: CommittedMarket,
        market_queries: MarketQueries,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[PublicTradeResponse]:
        token = market.state.token(token_ref)
        rows = await market_queries.trades(token.token_id, limit + 1, decode_cursor(cursor, int), min_position)
        page = page_of(rows, limit, lambda r: r.seq)
        return Page(
            [PublicTradeResponse(r.trade_id, usd(r.price), from_units(r.quantity, token.decimals), r.taker_side, r.at) for r in page.items],
            page.next_cursor,
        )


FIRST_DEPOSIT = ResponseSpec(
    DepositResponse, description="The reference was recorded before: the first deposit, nothing credited again",
    generate_examples=False,
)


class AdminTradingController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    guards = [requires("admin")]

    @post(
        "/tokens", responses=problems(409), summary="List a token: its market opens and the whole supply goes to the creator"
    )
    async def list_token(
        self,
        data: ListTokenRequest,
        engine: EngineClient,
        market_follower: MarketFollower,
        market_queries: MarketQueries,
        read_your_writes: ReadYourWrites,
    ) -> Response[TokenDetailResponse]:
        defaults = default_parameters(data.decimals)
        lot = units(data.lot_size, data.decimals, InvalidTokenParameters) or defaults.lot_size
        parameters = MarketParameters(
            decimals=data.decimals,
            tick_size=units(data.tick_size, USD_DECIMALS, InvalidTokenParameters) or defaults.tick_size,
            lot_size=lot,
            min_size=units(data.min_size, data.decimals, InvalidTokenParameters) or lot,
        )
        creator = wallet_address(data.creator_wallet_address, "creator_wallet_address")
        done = await engine.handle(ListToken(
            symbol=data.symbol,
            name=data.name,
            creator_id=creator_id_for(user_id_for(creator)),  # the creator this wallet's user is, or will be
            owner_id=user_id_for(creator),
            creator_address=creator,
            total_supply=units(data.total_supply, data.decimals, InvalidTokenParameters),
            initial_price=units(data.initial_price, USD_DECIMALS, InvalidTokenParameters),
            parameters=parameters,
        ))
        listing: TokenListed = done.value  # type: ignore[assignment]
        await read_your_writes.reach("market", done.position)
        body = await token_detail(listing, await market_follower.reach(done.position), market_queries)
        return Response(body, status_code=HTTP_201_CREATED, headers={POSITION_HEADER: str(done.position)})

    @post(
        "/deposits",
        responses={200: FIRST_DEPOSIT, **problems(404)},
        summary="Record a deposit as the chain watcher would (local ledger only); idempotent by reference",
        description="A reference already recorded credits nothing again: the answer is the first deposit, with 200.",
    )
    async def deposit(
        self, data: DepositRequest, engine: EngineClient, market: CommittedMarket, chain: Chain, ids: IdGenerator
    ) -> Response[DepositResponse]:
        if not chain.is_local:
            raise Problem(404, "not_found", "deposits come from the chain; this endpoint exists only with the local ledger")
        address = wallet_address(data.address)
        if data.asset.strip().upper() == USD:
            asset, decimals = USD, USD_DECIMALS
        else:
            token = market.state.token(data.asset)
            asset, decimals = str(token.token_id), token.decimals
        amount = units(data.amount, decimals, InvalidAmount)
        if amount <= 0:
            raise InvalidAmount("a deposit is more than zero")
        reference = data.reference if data.reference is not None else f"admin:{ids()}"
        check_deposit(reference, amount, address)  # before the chain records anything
        digest = await chain.record_deposit(address, asset, amount, reference)  # the chain keeps the first
        done = await engine.handle(RecordDeposit(user_id_for(address), asset, amount, reference, address, digest))
        recorded: DepositSnapshot = done.value  # type: ignore[assignment]
        first = recorded.deposit
        body = DepositResponse(
            first.address,
            first.owner,
            market.state.asset_name(first.asset),
            from_units(first.amount, market.state.decimals(first.asset)),
            first.digest or first.reference,
            first.reference,
        )
        status = HTTP_200_OK if recorded.repeated else HTTP_201_CREATED
        return Response(body, status_code=status, headers={POSITION_HEADER: str(done.position)})



class TransactionsController(Controller):
    path = "/api/v1/transactions"
    tags = ["users"]
    guards = [requires()]

    @get(
        "/",
        summary="Every movement of the user's money, newest first: deposits, withdrawals, transfers, trades, fees, "
        "issuance. Per asset, the amounts of the entries that count sum to the balance's total",
    )
    async def list_transactions(
        self,
        claims: AccessClaims,
        market: CommittedMarket,
        market_queries: MarketQueries,
        settlement_queries: SettlementQueries,
        type: TransactionKind | None = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[TransactionResponse]:
        after = decode_cursor(cursor, tuple[int, str, str])
        # A movement this process acknowledged shows at once: the view is waited for up to the committed market.
        rows = await market_queries.transactions(
            claims.user_id, limit + 1, after, max(min_position or 0, market.position), type
        )
        page = page_of(rows, limit, lambda r: (r.seq, r.kind, r.asset))
        settled = await settlement_queries.settled([UUID(r.reference) for r in page.items if r.kind == "trade"])

        def response(r: Transaction) -> TransactionResponse:
            token = None if r.asset == USD else market.state.tokens[UUID(r.asset)]
            amount, fee = (usd(r.amount), usd(r.fee)) if token is None else (from_units(r.amount, token.decimals), from_units(r.fee, token.decimals))
            if r.kind == "trade":  # a fill's fee is in USD whichever leg it is shown on
                fee = usd(r.fee)
            return TransactionResponse(
                id=r.id,
                type=r.kind,
                asset=USD if token is None else token.symbol,
                amount=amount,
                fee=fee,
                status=r.status,
                reference=r.reference or None,
                digest=settled[UUID(r.reference)][1] if r.kind == "trade" and UUID(r.reference) in settled else r.digest,
                created_at=r.at,
            )

        return Page([response(r) for r in page.items], page.next_cursor)
