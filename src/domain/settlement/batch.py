"""A settlement batch: open → built → submitted → confirmed, or → failed (SETTLEMENT.md).

One batch is live at a time (the gas coin that pays for it moves with every transaction, so the next can only be
built once this one has ended). Its transaction is built once and kept; submitting again sends the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from domain.settlement.errors import BatchNotLive
from domain.settlement.events import BatchBuilt, BatchConfirmed, BatchFailed, BatchOpened, BatchSubmitted
from domain.shared.aggregate import Aggregate, DomainEvent

OPEN, BUILT, SUBMITTED, CONFIRMED, FAILED = "open", "built", "submitted", "confirmed", "failed"
LIVE = (OPEN, BUILT, SUBMITTED)
MAX_PAYOUTS = 500  # a Sui programmable transaction takes at most 1,024 commands; the rest wait for the next batch

_NAMESPACE = UUID("6f1c3a52-8d0e-4b7a-9a35-2f4d6c1e7b90")


def batch_stream(sequence: int) -> UUID:
    return uuid5(_NAMESPACE, f"settlement-batch:{sequence}")


class SettlementBatch(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.opened: BatchOpened | None = None
        self.built: BatchBuilt | None = None
        self.submitted: BatchSubmitted | None = None
        self.status = ""
        self.error = ""

    @property
    def sequence(self) -> int:
        assert self.opened is not None
        return self.opened.sequence

    @property
    def withdrawals(self) -> tuple[UUID, ...]:
        assert self.opened is not None
        return self.opened.withdrawals

    def open(
        self, *, sequence: int, trade_count: int, trades_before: int, withdrawals: tuple[UUID, ...], at: datetime
    ) -> BatchOpened:
        if self.opened is not None:
            raise BatchNotLive(f"batch {self.opened.sequence} is open already")
        if sequence < 1 or trade_count < 0 or trades_before < trade_count or not (trade_count or withdrawals):
            raise ValueError("a batch is numbered from 1 and carries a trade or a withdrawal")
        self._record(
            BatchOpened(
                originator_id=self.id, originator_version=self.next_version, at=at,
                sequence=sequence, trade_count=trade_count, trades_before=trades_before, withdrawals=withdrawals,
            )
        )
        assert self.opened is not None
        return self.opened

    def build(
        self, *, trades_root: bytes, tx_bytes: bytes, signature: bytes, digest: str, operator_address: str, at: datetime
    ) -> None:
        self._expect(OPEN)
        if len(trades_root) != 32 or not tx_bytes or not signature or not digest:
            raise ValueError("a built batch has a 32-byte root, its transaction, a signature and a digest")
        self._record(
            BatchBuilt(
                originator_id=self.id, originator_version=self.next_version, at=at, sequence=self.sequence, trades_root=trades_root,
                tx_bytes=tx_bytes, signature=signature, digest=digest, operator_address=operator_address,
            )
        )

    def submit(self, at: datetime) -> bool:
        """Mark the bytes as sent; False (and nothing recorded) when they were marked before."""
        if self.status == SUBMITTED:
            return False
        self._expect(BUILT)
        self._record(BatchSubmitted(originator_id=self.id, originator_version=self.next_version, at=at, sequence=self.sequence))
        return True

    def confirm(self, digest: str, checkpoint: int | None, at: datetime) -> None:
        self._expect(BUILT, SUBMITTED)
        assert self.built is not None
        if digest != self.built.digest:
            raise BatchNotLive(f"batch {self.sequence} was built as {self.built.digest}, not {digest}")
        self._record(
            BatchConfirmed(
                originator_id=self.id, originator_version=self.next_version, at=at, sequence=self.sequence,
                digest=digest, checkpoint=checkpoint,
            )
        )

    def fail(self, error: str, at: datetime) -> None:
        self._expect(BUILT, SUBMITTED)
        self._record(
            BatchFailed(originator_id=self.id, originator_version=self.next_version, at=at, sequence=self.sequence, error=error)
        )

    def _expect(self, *states: str) -> None:
        if self.status not in states:
            what = f"batch {self.sequence}" if self.opened is not None else "the batch"
            raise BatchNotLive(f"{what} is {self.status or 'not open'}, not {' or '.join(states)}")

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case BatchOpened():
                self.opened, self.status = event, OPEN
            case BatchBuilt():
                self.built, self.status = event, BUILT
            case BatchSubmitted():
                self.submitted, self.status = event, SUBMITTED
            case BatchConfirmed():
                self.status = CONFIRMED
            case BatchFailed():
                self.status, self.error = FAILED, event.error
