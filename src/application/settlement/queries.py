"""What anyone can check of settlement: batches, a trade's proof against its batch's root, custody (SETTLEMENT.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from application.errors import ServiceUnavailable
from application.ports import Chain, ChainUnavailable, ChainUnreadable, Clock, Pool, Vault, VaultNotConfigured
from application.projections.settlement import BatchRow, SettlementView
from application.queries import ReadYourWrites
from application.settlement.settler import trade_leaf
from domain.settlement.merkle import audit_path
from domain.shared.errors import Conflict, NotFound

T = TypeVar("T")


class BatchNotFound(NotFound):
    code = "batch_not_found"


class TradeNotFound(NotFound):
    code = "trade_not_found"


class NotSettledYet(Conflict):
    code = "not_settled_yet"


class PoolNotConfigured(NotFound):
    code = "pool_not_configured"


class VaultNotFound(NotFound):
    code = "vault_not_configured"


class ChainNotAnswering(ServiceUnavailable):
    """The chain did not answer, or not with anything usable: what it holds cannot be shown now."""

    code = "chain_unavailable"


@dataclass(frozen=True, slots=True)
class TradeProof:
    trade_id: UUID
    batch: int
    digest: str
    trades_root: bytes
    leaf_index: int
    tree_size: int
    leaf: bytes
    audit_path: list[bytes]


@dataclass(frozen=True, slots=True)
class Custody:
    vault: Vault
    liabilities: int  # what users' balances of the asset add up to (available + held, fee account included)
    as_of: datetime


class SettlementQueries:
    def __init__(self, view: SettlementView, chain: Chain, clock: Clock, consistency: ReadYourWrites) -> None:
        self._view, self._chain, self._clock, self._consistency = view, chain, clock, consistency

    async def batches(self, limit: int, before: int | None) -> list[BatchRow]:
        return await self._view.batches(limit, before)

    async def batch(self, sequence: int) -> BatchRow:
        found = await self._view.batch(sequence) if 0 < sequence < 2**63 else None  # past a bigint: none
        if found is None:
            raise BatchNotFound(f"no settlement batch {sequence}")
        return found

    async def proof(self, trade_id: UUID, user_id: UUID, at_least: int) -> TradeProof:
        """The proof for one of the caller's trades; anyone else's is not found (its leaf names both wallets).
        The view is waited for up to ``at_least``: a trade just made is ``not_settled_yet``, never not found."""
        await self._consistency.reach("settlement", at_least)
        found = await self._view.trade(trade_id)
        if found is None or user_id not in (found.trade.buyer_id, found.trade.seller_id):
            raise TradeNotFound("no such trade of yours")
        batch = await self._view.batch(found.batch) if found.batch is not None else None
        if batch is None or batch.status != "confirmed" or found.leaf_index is None:
            raise NotSettledYet("the trade's settlement batch is not confirmed yet")
        leaves = [trade_leaf(r.trade, r.buyer_address, r.seller_address) for r in await self._view.leaves(batch.sequence)]
        assert batch.trades_root is not None and batch.digest is not None
        return TradeProof(
            trade_id, batch.sequence, batch.digest, batch.trades_root, found.leaf_index, len(leaves),
            leaves[found.leaf_index], audit_path(leaves, found.leaf_index),
        )

    async def settled(self, trade_ids: Sequence[UUID]) -> dict[UUID, tuple[int, str]]:
        return await self._view.settled(trade_ids)

    async def custody(self, assets: Sequence[str], liabilities: Mapping[str, int]) -> list[Custody]:
        """Each asset's vault against its liabilities, the vaults read at once; an asset without a vault is left out."""
        now = self._clock.now()
        vaults = await self._reading(asyncio.gather(*(self._vault(asset) for asset in assets)))
        return [Custody(vault, liabilities.get(vault.asset, 0), now) for vault in vaults if vault is not None]

    async def vault(self, asset: str, liabilities: int) -> Custody:
        found = await self._reading(self._vault(asset))
        if found is None:
            raise VaultNotFound("no vault is configured for this asset on the chain")
        return Custody(found, liabilities, self._clock.now())

    async def _vault(self, asset: str) -> Vault | None:
        try:
            return await self._chain.vault(asset)
        except VaultNotConfigured:
            return None

    @staticmethod
    async def _reading(read: Awaitable[T]) -> T:
        try:
            return await read
        except (ChainUnavailable, ChainUnreadable) as error:
            raise ChainNotAnswering(f"the chain cannot be read now: {error}") from error

    async def pool(self, token_id: UUID) -> tuple[Pool, datetime]:
        found = await self._reading(self._chain.pool(token_id))
        if found is None:
            raise PoolNotConfigured("no AMM pool is configured for this token")
        return found, self._clock.now()
