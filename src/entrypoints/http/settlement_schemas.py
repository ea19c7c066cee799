"""Bodies of the settlement endpoints (SETTLEMENT.md): bytes in standard Base64, hashes in lowercase hex."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class BatchResponse(msgspec.Struct):
    sequence: int
    status: str
    trade_count: int
    withdrawal_count: int
    trades_root: str | None  # lowercase hex, once built
    digest: str | None
    tx_bytes: str | None  # Base64 of the BCS TransactionData
    signature: str | None  # Base64 of flag ‖ signature ‖ public key
    operator_address: str | None
    created_at: datetime
    submitted_at: datetime | None
    confirmed_at: datetime | None
    error: str | None


class ProofResponse(msgspec.Struct):
    trade_id: UUID
    batch: int
    digest: str
    trades_root: str
    leaf_index: int
    tree_size: int
    leaf: str
    audit_path: list[str]


class VaultResponse(msgspec.Struct):
    asset: str  # USD or the token's symbol
    object_id: str
    coin_type: str
    balance: str  # whole units, as every amount
    liabilities: str
    as_of: datetime


class CustodyResponse(msgspec.Struct):
    assets: list[VaultResponse]


class Reserves(msgspec.Struct):
    token: str
    usd: str


class PoolResponse(msgspec.Struct):
    object_id: str
    reserves: Reserves
    price: str | None  # USD per whole token, the reserves' ratio; None for an empty pool
    as_of: datetime


class ChainFaultsRequest(msgspec.Struct, forbid_unknown_fields=True):
    fail_next: int


class ChainFaultsResponse(msgspec.Struct):
    fail_next: int
