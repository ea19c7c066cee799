"""Settlement anyone can verify (SETTLEMENT.md): batches, custody, a token's vault and pool, a trade's proof."""

from __future__ import annotations

import base64
from uuid import UUID

from litestar import Controller, get, post
from litestar.status_codes import HTTP_200_OK

from application.live.market import CommittedMarket
from application.ports import AccessClaims, Chain
from application.projections.settlement import BatchRow
from application.settlement.queries import Custody, SettlementQueries
from domain.shared.money import USD, USD_DECIMALS
from entrypoints.http.auth import requires
from entrypoints.http.errors import Problem
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import Cursor, Limit, Page, decode_cursor, page_of
from entrypoints.http.settlement_schemas import (
    BatchResponse,
    ChainFaultsRequest,
    ChainFaultsResponse,
    CustodyResponse,
    PoolResponse,
    ProofResponse,
    Reserves,
    VaultResponse,
)
from entrypoints.http.units import from_units, ratio

MAX_FAULTS = 1_000


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def batch_response(b: BatchRow) -> BatchResponse:
    return BatchResponse(
        b.sequence, b.status, b.trade_count, b.withdrawal_count, b.trades_root.hex() if b.trades_root else None,
        b.digest, _b64(b.tx_bytes), _b64(b.signature), b.operator_address, b.created_at, b.submitted_at,
        b.confirmed_at, b.error,
    )


class SettlementController(Controller):
    path = "/api/v1/settlement"
    tags = ["settlement"]

    @get("/batches", summary="Settlement batches, newest first")
    async def list_batches(
        self, settlement_queries: SettlementQueries, limit: Limit = 50, cursor: Cursor = None
    ) -> Page[BatchResponse]:
        rows = await settlement_queries.batches(limit + 1, decode_cursor(cursor, int))
        page = page_of(rows, limit, lambda r: r.sequence)
        return Page([batch_response(r) for r in page.items], page.next_cursor)

    @get("/batches/{sequence:int}", responses=problems(404), summary="One settlement batch, its transaction and signature")
    async def get_batch(self, sequence: int, settlement_queries: SettlementQueries) -> BatchResponse:
        return batch_response(await settlement_queries.batch(sequence))


class TradeProofController(Controller):
    path = "/api/v1/trades"
    tags = ["settlement"]
    guards = [requires()]

    @get(
        "/{trade_id:uuid}/proof",
        responses=problems(404, 409),
        summary="The Merkle proof that one of your trades is in a confirmed settlement batch",
        description="`409 not_settled_yet` until its batch is confirmed; a trade you are not a party to is `404`.",
    )
    async def proof(
        self, trade_id: UUID, claims: AccessClaims, settlement_queries: SettlementQueries, market: CommittedMarket
    ) -> ProofResponse:
        p = await settlement_queries.proof(trade_id, claims.user_id, market.position)
        return ProofResponse(
            p.trade_id, p.batch, p.digest, p.trades_root.hex(), p.leaf_index, p.tree_size, p.leaf.hex(),
            [node.hex() for node in p.audit_path],
        )


def _vault(c: Custody, market: CommittedMarket) -> VaultResponse:
    asset = c.vault.asset
    decimals = market.state.decimals(asset)
    return VaultResponse(
        market.state.asset_name(asset), c.vault.object_id, c.vault.coin_type, from_units(c.vault.balance, decimals),
        from_units(c.liabilities, decimals), c.as_of,
    )


class CustodyController(Controller):
    path = "/api/v1"
    tags = ["settlement"]

    @get(
        "/custody",
        responses=problems(503),
        summary="What the chain holds for every asset against what users' balances add up to",
    )
    async def custody(self, settlement_queries: SettlementQueries, market: CommittedMarket) -> CustodyResponse:
        assets = [USD] + [str(t) for t in sorted(market.state.tokens)]
        found = await settlement_queries.custody(assets, market.state.ledger.totals())
        return CustodyResponse([_vault(c, market) for c in found])

    @get("/tokens/{token_ref:str}/vault", responses=problems(404, 503), summary="The token's vault on chain against its liabilities")
    async def vault(self, token_ref: str, settlement_queries: SettlementQueries, market: CommittedMarket) -> VaultResponse:
        asset = str(market.state.token(token_ref).token_id)
        return _vault(await settlement_queries.vault(asset, market.state.ledger.totals().get(asset, 0)), market)

    @get(
        "/tokens/{token_ref:str}/pool",
        responses=problems(404, 503),
        summary="The token's AMM pool on chain, where one is configured (`404 pool_not_configured` otherwise)",
    )
    async def pool(self, token_ref: str, settlement_queries: SettlementQueries, market: CommittedMarket) -> PoolResponse:
        token = market.state.token(token_ref)
        found, as_of = await settlement_queries.pool(token.token_id)
        price = (
            ratio(found.usd_reserve * 10**token.decimals, found.token_reserve * 10**USD_DECIMALS, USD_DECIMALS)
            if found.token_reserve
            else None
        )
        reserves = Reserves(from_units(found.token_reserve, token.decimals), from_units(found.usd_reserve, USD_DECIMALS))
        return PoolResponse(found.object_id, reserves, price, as_of)


class ChainFaultsController(Controller):
    path = "/api/v1/admin/chain"
    tags = ["admin"]
    guards = [requires("admin")]

    @post(
        "/faults",
        status_code=HTTP_200_OK,
        responses=problems(404, 422),
        summary="Make the local ledger reject the next n settlement transactions (failed effects); tests only",
    )
    async def faults(self, data: ChainFaultsRequest, chain: Chain) -> ChainFaultsResponse:
        fail_next = getattr(chain, "fail_next", None)
        if not chain.is_local or fail_next is None:
            raise Problem(404, "not_found", "faults can be set only on the local ledger")
        if not 0 <= data.fail_next <= MAX_FAULTS:
            raise Problem(422, "validation_error", f"fail_next is a number from 0 to {MAX_FAULTS}")
        await fail_next(data.fail_next)
        return ChainFaultsResponse(data.fail_next)

