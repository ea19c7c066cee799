"""Market views: public trades, candles, holdings per token, and each user's transactions ledger.

Candles are stored only for intervals that had trades; an interval without
any is filled when read (it repeats the last close with zero volume).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID, uuid5

from application.ports import Recorded, View
from domain.account.events import (
    Deposited,
    SupplyIssued,
    Transferred,
    WithdrawalCancelled,
    WithdrawalCompleted,
    WithdrawalFailed,
    WithdrawalRequested,
)
from domain.account.ledger import FEE_ACCOUNT
from domain.orderbook.events import TradeExecuted
from domain.shared.money import USD

INTERVALS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}


def bucket_of(at: datetime, seconds: int) -> datetime:
    stamp = int(at.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC)


@dataclass(frozen=True, slots=True)
class PublicTrade:
    seq: int
    token_id: UUID
    trade_id: UUID
    price: int
    quantity: int
    taker_side: str
    at: datetime


@dataclass(slots=True)
class Candle:
    token_id: UUID
    interval: str
    start: datetime
    open: int
    high: int
    low: int
    close: int
    volume: int  # base units
    quote_volume: int  # micro-USD
    trades: int

    def add(self, price: int, quantity: int, notional: int) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += quantity
        self.quote_volume += notional
        self.trades += 1


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """One token's candles of a window, summed; ``close`` is the close of the last one before the window
    (None when there is none), ``first_open`` and ``last_close`` those of the window's first and last."""

    volume: int
    quote_volume: int
    high: int | None
    low: int | None
    first_open: int | None
    last_close: int | None
    close_before: int | None


@dataclass(frozen=True, slots=True)
class Holding:
    token_id: UUID
    user_id: UUID
    quantity: int
    wallet_address: str | None = None  # known once a deposit or a listing named it (read, never written, here)


TRANSACTION_IDS = UUID("61f0c2d4-93a8-4e57-b1c6-7d2e0a9f3b18")
COMPLETED, PENDING = "completed", "pending"


@dataclass(frozen=True, slots=True)
class Transaction:
    """One entry of a user's ledger: it moves one asset. Those that count (all but a withdrawal's until it is
    completed) sum, per asset, to the user's total (PORTFOLIO.md)."""

    seq: int
    user_id: UUID
    kind: str  # deposit, withdrawal, transfer_in, transfer_out, trade, fee, issuance
    asset: str  # "USD" or a token id
    amount: int  # signed: what the user's total of the asset changes by
    reference: str  # what it belongs to: the trade, transfer or withdrawal id, or a deposit's reference
    at: datetime
    fee: int = 0  # informational, never added: the fee a trade's USD leg, a transfer or a withdrawal carried
    status: str = COMPLETED  # a withdrawal's: pending, then completed, cancelled or failed
    digest: str | None = None  # the chain transaction that carried it, once known

    @property
    def id(self) -> UUID:
        """Stable across rebuilds: the entry's key."""
        return uuid5(TRANSACTION_IDS, f"{self.seq}:{self.user_id}:{self.kind}:{self.asset}")

    @property
    def counts(self) -> bool:
        return self.kind != "withdrawal" or self.status == COMPLETED


@dataclass(frozen=True, slots=True)
class Outcome:
    """A withdrawal's entry, ended: its new status and, when paid, the digest."""

    reference: str
    status: str
    digest: str | None


class MarketRows(Protocol):
    async def add_trades(self, rows: Sequence[PublicTrade]) -> None: ...

    async def merge_candles(self, candles: Sequence[Candle]) -> None:
        """Fold each candle into the stored one of its token, interval and start (open kept, close replaced)."""
        ...

    async def add_to_holdings(self, changes: Sequence[Holding]) -> None:
        """Add each change to the user's holding of the token."""
        ...

    async def name_wallets(self, addresses: Mapping[UUID, str]) -> None:
        """Keep the wallet address a deposit or a listing named for each owner (holders show it)."""
        ...

    async def add_transactions(self, rows: Sequence[Transaction]) -> None: ...

    async def end_withdrawals(self, outcomes: Sequence[Outcome]) -> None:
        """Set the status (and digest) of each withdrawal's entry, found by its reference."""
        ...


class MarketView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[MarketRows]: ...

    async def trades(self, token_id: UUID, limit: int, before_seq: int | None) -> list[PublicTrade]: ...

    async def candles(self, token_id: UUID, interval: str, start: datetime, end: datetime) -> list[Candle]:
        """Stored candles with ``start <= candle.start < end``, oldest first."""
        ...

    async def candle_before(self, token_id: UUID, interval: str, start: datetime) -> Candle | None:
        """The last stored candle that starts before ``start`` (its close carries into empty intervals)."""
        ...

    async def window(self, interval: str, start: datetime, end: datetime) -> dict[UUID, WindowTotals]:
        """Every token's candles of ``interval`` in ``[start, end)`` summed up, in one read."""
        ...

    async def holders(self, token_id: UUID, limit: int, offset: int) -> list[Holding]: ...

    async def holders_count(self, token_id: UUID) -> int: ...

    async def transactions(
        self, user_id: UUID, limit: int, after: tuple[int, str, str] | None, kind: str | None = None
    ) -> list[Transaction]:
        """Newest first, of one kind or all; ``after`` is the (seq, kind, asset) of the last row of the previous page."""
        ...


class MarketProjector:
    def __init__(self, view: MarketView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        trades: list[PublicTrade] = []
        candles: dict[tuple[UUID, str, datetime], Candle] = {}
        holdings: dict[tuple[UUID, UUID], int] = {}
        addresses: dict[UUID, str] = {}
        ledger: list[Transaction] = []
        outcomes: list[Outcome] = []

        def hold(token: UUID, user: UUID, delta: int) -> None:
            holdings[(token, user)] = holdings.get((token, user), 0) + delta

        for recorded in batch:
            event, seq = recorded.event, recorded.position
            match event:
                case TradeExecuted() as e:
                    token = e.originator_id
                    trades.append(PublicTrade(seq, token, e.trade_id, e.price, e.quantity, e.taker_side, e.at))
                    for name, seconds in INTERVALS.items():
                        key = (token, name, bucket_of(e.at, seconds))
                        candle = candles.get(key)
                        if candle is None:
                            candles[key] = Candle(token, name, key[2], e.price, e.price, e.price, e.price, e.quantity, e.notional, 1)
                        else:
                            candle.add(e.price, e.quantity, e.notional)
                    buyer, seller, buyer_fee, seller_fee = e.sides()
                    hold(token, buyer, e.quantity)
                    hold(token, seller, -e.quantity)
                    reference = str(e.trade_id)
                    ledger += [
                        Transaction(seq, buyer, "trade", str(token), e.quantity, reference, e.at),
                        Transaction(seq, buyer, "trade", USD, -e.notional, reference, e.at, buyer_fee),
                        Transaction(seq, buyer, "fee", USD, -buyer_fee, reference, e.at),
                        Transaction(seq, seller, "trade", str(token), -e.quantity, reference, e.at),
                        Transaction(seq, seller, "trade", USD, e.notional, reference, e.at, seller_fee),
                        Transaction(seq, seller, "fee", USD, -seller_fee, reference, e.at),
                        Transaction(seq, FEE_ACCOUNT, "fee", USD, buyer_fee + seller_fee, reference, e.at),
                    ]
                case Deposited() as e:
                    if e.address:
                        addresses[e.owner] = e.address
                    if e.asset != USD:
                        hold(UUID(e.asset), e.owner, e.amount)
                    ledger.append(Transaction(seq, e.owner, "deposit", e.asset, e.amount, e.reference, e.at, digest=e.digest or None))
                case SupplyIssued() as e:
                    if e.address:
                        addresses[e.owner] = e.address
                    hold(UUID(e.asset), e.owner, e.amount)
                    ledger.append(Transaction(seq, e.owner, "issuance", e.asset, e.amount, "", e.at))
                case Transferred() as e:
                    if e.asset != USD:
                        hold(UUID(e.asset), e.sender, -(e.amount + e.fee))
                        hold(UUID(e.asset), e.recipient, e.amount)
                        hold(UUID(e.asset), FEE_ACCOUNT, e.fee)
                    reference = str(e.originator_id)
                    ledger += [
                        Transaction(seq, e.sender, "transfer_out", e.asset, -e.amount, reference, e.at, e.fee),
                        Transaction(seq, e.sender, "fee", e.asset, -e.fee, reference, e.at),
                        Transaction(seq, e.recipient, "transfer_in", e.asset, e.amount, reference, e.at),
                        Transaction(seq, FEE_ACCOUNT, "fee", e.asset, e.fee, reference, e.at),
                    ]
                case WithdrawalRequested() as e:
                    reference = str(e.originator_id)
                    ledger.append(
                        Transaction(seq, e.owner, "withdrawal", e.asset, -e.amount, reference, e.at, e.network_fee, PENDING)
                    )
                case WithdrawalCompleted() as e:
                    if e.asset != USD:
                        hold(UUID(e.asset), e.owner, -(e.amount + e.network_fee))
                        hold(UUID(e.asset), FEE_ACCOUNT, e.network_fee)
                    reference = str(e.originator_id)
                    outcomes.append(Outcome(reference, COMPLETED, e.digest))
                    ledger += [
                        Transaction(seq, e.owner, "fee", e.asset, -e.network_fee, reference, e.at, digest=e.digest),
                        Transaction(seq, FEE_ACCOUNT, "fee", e.asset, e.network_fee, reference, e.at, digest=e.digest),
                    ]
                case WithdrawalCancelled() as e:
                    outcomes.append(Outcome(str(e.originator_id), "cancelled", None))
                case WithdrawalFailed() as e:
                    outcomes.append(Outcome(str(e.originator_id), "failed", None))
        async with self.view.writing(expected, batch[-1].position) as rows:
            if trades:
                await rows.add_trades(trades)
            if candles:
                await rows.merge_candles(list(candles.values()))
            if holdings:
                await rows.add_to_holdings([Holding(t, u, q) for (t, u), q in holdings.items()])
            if addresses:
                await rows.name_wallets(addresses)
            if ledger:
                await rows.add_transactions(ledger)
            if outcomes:
                await rows.end_withdrawals(outcomes)
