"""Request and response shapes of PORTFOLIO.md: portfolio, investments, balance history, transfers, withdrawals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar.params import Parameter

from entrypoints.http.enums import MovementStatus

# Plain strings on purpose: a malformed address or amount is refused by the rule it breaks, with its code
# (recipient_not_found, invalid_address, invalid_amount), not as a shape.
AmountText = Annotated[str, msgspec.Meta(max_length=64), Parameter(description='A positive decimal string, e.g. "12.5".')]
AddressText = Annotated[str, msgspec.Meta(max_length=200), Parameter(description="A Sui address: 0x and 64 hex digits.")]
AssetText = Annotated[str, msgspec.Meta(max_length=64), Parameter(description="USD, or a token's symbol or id.")]


class CashResponse(msgspec.Struct):
    available: str
    held: str
    total: str


class HoldingResponse(msgspec.Struct):
    token_id: UUID
    symbol: str
    quantity: str
    average_cost: str | None
    cost_basis: str
    price: str | None
    value: str
    unrealized_pnl: str


class PortfolioResponse(msgspec.Struct):
    total_value: str
    cash: CashResponse
    holdings: list[HoldingResponse]
    realized_pnl: str
    fees_paid: str
    as_of_position: int


class InvestmentResponse(msgspec.Struct):
    token_id: UUID
    symbol: str
    quantity: str
    invested: str
    returned: str
    average_cost: str | None
    realized_pnl: str
    unrealized_pnl: str
    trades: int
    first_trade_at: datetime | None
    last_trade_at: datetime | None


class BalancePointResponse(msgspec.Struct):
    t: datetime
    total_value: str
    cash: str
    holdings_value: str


class TransferRequest(msgspec.Struct, forbid_unknown_fields=True):
    to_address: AddressText
    asset: AssetText
    amount: AmountText


class TransferResponse(msgspec.Struct):
    id: UUID
    asset: str
    amount: str
    fee: str
    to_address: str
    from_address: str
    status: str
    created_at: datetime


class WithdrawalRequest(msgspec.Struct, forbid_unknown_fields=True):
    asset: AssetText
    amount: AmountText
    to_address: AddressText


class WithdrawalResponse(msgspec.Struct):
    id: UUID
    asset: str
    amount: str
    network_fee: str
    to_address: str
    status: MovementStatus
    digest: str | None
    created_at: datetime
    updated_at: datetime


class WithdrawalFeeResponse(msgspec.Struct):
    asset: str
    network_fee: str
