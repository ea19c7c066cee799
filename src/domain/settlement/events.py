"""Events of settlement batches. Never rename or move these classes: their path is the stored topic."""

from dataclasses import dataclass
from uuid import UUID

from domain.shared.aggregate import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchOpened(DomainEvent):
    """Batch ``sequence`` takes every trade stored after the last confirmed batch opened and before this event
    (``trade_count`` of them, in log order; the trades of a failed batch are among them), and the pending
    withdrawals named, which can no longer be cancelled. ``trades_before`` counts every trade ever made up to
    here: the next batch starts after it once this one is confirmed."""

    sequence: int
    trade_count: int
    trades_before: int
    withdrawals: tuple[UUID, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchBuilt(DomainEvent):
    """The transaction, built once: a retry sends these bytes, so it has this digest, which a chain runs once."""

    sequence: int
    trades_root: bytes
    tx_bytes: bytes
    signature: bytes
    digest: str
    operator_address: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchSubmitted(DomainEvent):
    """The bytes went to the chain at least once: from here the chain may have run them."""

    sequence: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchConfirmed(DomainEvent):
    sequence: int
    digest: str
    checkpoint: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchFailed(DomainEvent):
    """The chain ran the transaction and it failed, or refused it outright: nothing of it happened on chain."""

    sequence: int
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DepositsReadTo(DomainEvent):
    """The chain's deposit events were credited up to ``cursor`` (the deposit watcher's place, kept in the log)."""

    cursor: str
