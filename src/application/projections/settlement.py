"""The settlement view: every trade with the batch that carries it, and every batch as the settler left it.

A trade is written when it is made (waiting: no batch). A batch's opening gives the waiting trades (and those of
a failed batch, which wait again) to it in log order, their leaf indexes 0, 1, 2, …; the engine counted the same
trades into the batch, and the projector checks the count. The rest of the batch's life updates its row.
Proofs, ``/settlement/batches``, the digests on ``/trades`` and the settler's leaves are read from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.ports import Recorded, View
from domain.orderbook.events import TradeExecuted
from domain.settlement.events import BatchBuilt, BatchConfirmed, BatchFailed, BatchOpened, BatchSubmitted


@dataclass(frozen=True, slots=True)
class SettlementTrade:
    trade_id: UUID
    token_id: UUID
    buyer_id: UUID
    seller_id: UUID
    price: int
    quantity: int
    buyer_fee: int
    seller_fee: int
    position: int


@dataclass(frozen=True, slots=True)
class BatchRow:
    sequence: int
    status: str
    trade_count: int
    withdrawal_count: int
    created_at: datetime
    trades_root: bytes | None = None
    digest: str | None = None
    tx_bytes: bytes | None = None
    signature: bytes | None = None
    operator_address: str | None = None
    submitted_at: datetime | None = None
    confirmed_at: datetime | None = None
    error: str | None = None
    position: int = 0  # of its opening, in the log


@dataclass(frozen=True, slots=True)
class LeafRow:
    """A batch's trade with both wallets (None when the users view has not got the user yet)."""

    trade: SettlementTrade
    leaf_index: int
    buyer_address: str | None
    seller_address: str | None


@dataclass(frozen=True, slots=True)
class TradeSettlement:
    """Where a trade stands: its batch (None while waiting) and the leaf index in it."""

    trade: SettlementTrade
    batch: int | None
    leaf_index: int | None


class BatchCountMismatch(Exception):
    """The view found another number of waiting trades than the engine put into the batch: a bug to look at."""


class SettlementRows(Protocol):
    async def add_trades(self, trades: Sequence[SettlementTrade]) -> None: ...

    async def open_batch(self, row: BatchRow) -> int:
        """Store the batch and give it every waiting trade in log order; how many it took."""
        ...

    async def update_batch(self, sequence: int, **changes: Any) -> None: ...


class SettlementView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[SettlementRows]: ...

    async def batches(self, limit: int, before: int | None = None) -> list[BatchRow]:
        """Newest first; ``before`` a sequence to page back from."""
        ...

    async def batch(self, sequence: int) -> BatchRow | None: ...

    async def leaves(self, sequence: int) -> list[LeafRow]:
        """The batch's trades in leaf order."""
        ...

    async def trade(self, trade_id: UUID) -> TradeSettlement | None: ...

    async def settled(self, trade_ids: Sequence[UUID]) -> dict[UUID, tuple[int, str]]:
        """For each trade in a confirmed batch: (batch sequence, digest)."""
        ...


def settlement_trade(e: TradeExecuted, position: int) -> SettlementTrade:
    buyer, seller, buyer_fee, seller_fee = e.sides()
    return SettlementTrade(e.trade_id, e.originator_id, buyer, seller, e.price, e.quantity, buyer_fee, seller_fee, position)


class SettlementProjector:
    def __init__(self, view: SettlementView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        async with self.view.writing(expected, batch[-1].position) as rows:
            trades: list[SettlementTrade] = []
            for recorded in batch:
                event = recorded.event
                if isinstance(event, TradeExecuted):
                    trades.append(settlement_trade(event, recorded.position))
                    continue
                if not isinstance(event, BatchOpened | BatchBuilt | BatchSubmitted | BatchConfirmed | BatchFailed):
                    continue
                if trades:  # in log order: a batch takes the trades made before it
                    await rows.add_trades(trades)
                    trades = []
                await _batch_event(rows, event, recorded.position)
            if trades:
                await rows.add_trades(trades)


async def _batch_event(rows: SettlementRows, event: Any, position: int) -> None:
    match event:
        case BatchOpened():
            row = BatchRow(event.sequence, "open", event.trade_count, len(event.withdrawals), event.at, position=position)
            taken = await rows.open_batch(row)
            if taken != event.trade_count:
                raise BatchCountMismatch(f"batch {event.sequence}: the engine counted {event.trade_count} trades, the view {taken}")
        case BatchBuilt():
            await rows.update_batch(
                event.sequence, status="built", trades_root=event.trades_root, digest=event.digest,
                tx_bytes=event.tx_bytes, signature=event.signature, operator_address=event.operator_address,
            )
        case BatchSubmitted():
            await rows.update_batch(event.sequence, status="submitted", submitted_at=event.at)
        case BatchConfirmed():
            await rows.update_batch(event.sequence, status="confirmed", confirmed_at=event.at)
        case BatchFailed():
            await rows.update_batch(event.sequence, status="failed", error=event.error)
