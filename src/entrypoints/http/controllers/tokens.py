"""Tokens (what a trader needs to place orders) and the admin's listing and deposit endpoints."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.status_codes import HTTP_201_CREATED

from application.ports import Chain
from application.trading.exchange import Exchange
from domain.account.errors import InvalidAmount
from domain.identity.user import user_id_for, wallet_address
from domain.shared.money import USD
from domain.token.errors import InvalidTokenParameters
from domain.token.events import TokenListed
from domain.token.token import MarketParameters, default_parameters
from entrypoints.http.auth import requires
from entrypoints.http.controllers.auth import POSITION_HEADER
from entrypoints.http.controllers.trading import USD_DECIMALS, units, usd
from entrypoints.http.errors import Problem
from entrypoints.http.schemas import DepositRequest, DepositResponse, ListTokenRequest, CreatorTokenResponse
from entrypoints.http.units import from_units


def token_response(token: TokenListed) -> CreatorTokenResponse:
    d = token.decimals
    return CreatorTokenResponse(
        id=token.token_id,
        symbol=token.symbol,
        name=token.name,
        creator_id=token.creator_id,
        decimals=d,
        total_supply=from_units(token.total_supply, d),
        initial_price=usd(token.initial_price) if token.initial_price else None,
        tick_size=usd(token.tick_size),
        lot_size=from_units(token.lot_size, d),
        min_size=from_units(token.min_size, d),
        listed_at=token.at,
    )


class TokensController(Controller):
    path = "/api/v1/tokens"
    tags = ["market data"]

    @get("/{token_ref:str}", summary="A token by id or symbol")
    async def get_token(self, token_ref: str, exchange: Exchange) -> CreatorTokenResponse:
        return token_response(exchange.token(token_ref))


class AdminTradingController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    guards = [requires("admin")]

    @post("/tokens", summary="List a token: its market opens and the whole supply goes to the creator")
    async def list_token(self, data: ListTokenRequest, exchange: Exchange) -> Response[CreatorTokenResponse]:
        defaults = default_parameters(data.decimals)
        lot = units(data.lot_size, data.decimals, InvalidTokenParameters) or defaults.lot_size
        parameters = MarketParameters(
            decimals=data.decimals,
            tick_size=units(data.tick_size, USD_DECIMALS, InvalidTokenParameters) or defaults.tick_size,
            lot_size=lot,
            min_size=units(data.min_size, data.decimals, InvalidTokenParameters) or lot,
        )
        creator = wallet_address(data.creator_wallet_address)
        done = await exchange.list_token(
            symbol=data.symbol,
            name=data.name,
            creator_id=user_id_for(creator),
            creator_address=creator,
            total_supply=units(data.total_supply, data.decimals, InvalidTokenParameters),
            initial_price=units(data.initial_price, USD_DECIMALS, InvalidTokenParameters),
            parameters=parameters,
        )
        listing: TokenListed = done.value  # type: ignore[assignment]
        return Response(token_response(listing), status_code=HTTP_201_CREATED, headers={POSITION_HEADER: str(done.position)})

    @post("/deposits", summary="Record a deposit as the chain watcher would (local ledger only)")
    async def deposit(self, data: DepositRequest, exchange: Exchange, chain: Chain) -> Response[DepositResponse]:
        if not chain.is_local:
            raise Problem(404, "not_found", "deposits come from the chain; this endpoint exists only with the local ledger")
        address = wallet_address(data.address)
        if data.asset.strip().upper() == USD:
            asset, name, decimals = USD, USD, USD_DECIMALS
        else:
            token = exchange.token(data.asset)
            asset, name, decimals = str(token.token_id), token.symbol, token.decimals
        amount = units(data.amount, decimals, InvalidAmount)
        if amount <= 0:
            raise InvalidAmount("a deposit is more than zero")
        digest = await chain.record_deposit(address, name, amount)
        owner = user_id_for(address)
        done = await exchange.deposit(owner, asset, amount, digest)
        body = DepositResponse(address, owner, name, from_units(amount, decimals), digest)
        return Response(body, status_code=HTTP_201_CREATED, headers={POSITION_HEADER: str(done.position)})

