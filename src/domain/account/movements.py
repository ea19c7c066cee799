"""Money a user moves outside trading: transfers to another user and withdrawals to a Sui address.

Both decide on the ledger the engine keeps in memory and change it only in
``_apply``, so replaying the log moves the same money. Each has a stream of
its own; with an idempotency key the stream is named by the key, so a
second command with that key would write version 1 of the same stream again,
which the event store refuses: a key moves money once.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from domain.account.errors import (
    CannotTransferToSelf,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidIdempotencyKey,
    WithdrawalNotCancellable,
)
from domain.account.events import (
    Transferred,
    WithdrawalCancelled,
    WithdrawalCompleted,
    WithdrawalFailed,
    WithdrawalRequested,
)
from domain.account.ledger import FEE_ACCOUNT, Ledger
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.money import BPS, MAX_QUOTE
from domain.shared.text import check_text

TRANSFER_FEE_BPS = 10  # 0.1%, in the asset's own smallest units, rounded up
KEY_MAX = 100
TRANSFERS_NAMESPACE = UUID("8e1f3a52-6c0d-4b9e-a7f4-31d5c2b86e01")
WITHDRAWALS_NAMESPACE = UUID("b3c94e10-2d7a-4f58-8e61-9a0f5d7c4b22")


def transfer_fee(amount: int) -> int:
    """``ceil(amount * 10 / 10_000)``: at least one smallest unit for any amount."""
    return -(-amount * TRANSFER_FEE_BPS // BPS)


def check_key(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX or key.strip() != key:
        raise InvalidIdempotencyKey(f"an Idempotency-Key is 1 to {KEY_MAX} characters, without surrounding spaces")
    check_text(key, "Idempotency-Key")
    return key


def keyed_stream(namespace: UUID, owner: UUID, key: str) -> UUID:
    """The stream a command with this owner's idempotency key writes: the same key, the same stream."""
    return uuid5(namespace, f"{owner}\n{check_key(key)}")


def _check_amount(amount: int) -> None:
    if not 0 < amount <= MAX_QUOTE:
        raise InvalidAmount("an amount is more than zero and at most 10^15 of the asset's smallest units")


def _check_funds(ledger: Ledger, owner: UUID, asset: str, needed: int) -> None:
    if ledger.available(owner, asset) < needed:
        raise InsufficientFunds(f"needs {needed} available, fee included")


class Transfer(Aggregate):
    """One transfer, on its own stream: the recipient gets ``amount``, the sender pays ``amount + fee``."""

    def __init__(self, id: UUID, ledger: Ledger | None = None) -> None:
        super().__init__(id)
        self.ledger = ledger if ledger is not None else Ledger()
        self.made: Transferred | None = None

    def make(
        self,
        *,
        sender: UUID,
        recipient: UUID,
        asset: str,
        amount: int,
        from_address: str,
        to_address: str,
        at: datetime,
        key: str = "",
    ) -> Transferred:
        if self.made is not None:
            return same_transfer(self.made, recipient, asset, amount)
        if recipient == sender:
            raise CannotTransferToSelf("the recipient is you")
        _check_amount(amount)
        fee = transfer_fee(amount)
        _check_funds(self.ledger, sender, asset, amount + fee)
        self._record(
            Transferred(
                originator_id=self.id, originator_version=self.next_version, at=at,
                sender=sender, recipient=recipient, asset=asset, amount=amount, fee=fee,
                from_address=from_address, to_address=to_address, key=key,
            )
        )
        assert self.made is not None
        return self.made

    def _apply(self, event: DomainEvent) -> None:
        assert isinstance(event, Transferred)
        self.made = event
        apply_transfer(self.ledger, event)


def same_transfer(first: Transferred, recipient: UUID, asset: str, amount: int) -> Transferred:
    """A retry with the first transfer's key: that transfer, when it asks for the same thing."""
    if (first.recipient, first.asset, first.amount) != (recipient, asset, amount):
        raise IdempotencyKeyReused("this Idempotency-Key was used for another transfer")
    return first


def apply_transfer(ledger: Ledger, event: Transferred) -> None:
    ledger.debit(event.sender, event.asset, event.amount + event.fee)
    ledger.credit(event.recipient, event.asset, event.amount)
    ledger.credit(FEE_ACCOUNT, event.asset, event.fee)


PENDING, COMPLETED, CANCELLED, FAILED = "pending", "completed", "cancelled", "failed"


class Withdrawal(Aggregate):
    """pending → completed (paid on chain) | cancelled (by its owner) | failed (the chain refused it).

    ``amount + network_fee`` is held from the request until it ends; a completed one spends the hold (the fee
    to the fee account), the others release it."""

    def __init__(self, id: UUID, ledger: Ledger | None = None) -> None:
        super().__init__(id)
        self.ledger = ledger if ledger is not None else Ledger()
        self.requested: WithdrawalRequested | None = None
        self.status = ""

    @classmethod
    def restored(cls, requested: WithdrawalRequested, ledger: Ledger) -> Withdrawal:
        """A pending withdrawal from a snapshot, whose ledger has its hold already: nothing is applied again."""
        withdrawal = cls(requested.originator_id, ledger)
        withdrawal.requested, withdrawal.status, withdrawal.version = requested, PENDING, requested.originator_version
        return withdrawal

    @property
    def owner(self) -> UUID:
        assert self.requested is not None
        return self.requested.owner

    @property
    def asset(self) -> str:
        assert self.requested is not None
        return self.requested.asset

    @property
    def hold(self) -> int:
        assert self.requested is not None
        return self.requested.amount + self.requested.network_fee

    def request(
        self, *, owner: UUID, asset: str, amount: int, network_fee: int, to_address: str, at: datetime, key: str = ""
    ) -> WithdrawalRequested:
        if self.requested is not None:
            first = self.requested
            if (first.owner, first.asset, first.amount, first.to_address) != (owner, asset, amount, to_address):
                raise IdempotencyKeyReused("this Idempotency-Key was used for another withdrawal")
            return first
        _check_amount(amount)
        _check_funds(self.ledger, owner, asset, amount + network_fee)
        self._record(
            WithdrawalRequested(
                originator_id=self.id, originator_version=self.next_version, at=at,
                owner=owner, asset=asset, amount=amount, network_fee=network_fee, to_address=to_address, key=key,
            )
        )
        assert self.requested is not None
        return self.requested

    def cancel(self, at: datetime) -> None:
        if self.status != PENDING:
            raise WithdrawalNotCancellable(f"the withdrawal is {self.status}")
        assert self.requested is not None
        self._record(
            WithdrawalCancelled(
                originator_id=self.id, originator_version=self.next_version, at=at,
                owner=self.requested.owner, asset=self.requested.asset, released=self.hold,
            )
        )

    def complete(self, digest: str, at: datetime) -> None:
        """The settlement batch carrying it was confirmed (issue 11's settler; the local chain in tests)."""
        self._check_pending()
        assert self.requested is not None
        r = self.requested
        self._record(
            WithdrawalCompleted(
                originator_id=self.id, originator_version=self.next_version, at=at,
                owner=r.owner, asset=r.asset, amount=r.amount, network_fee=r.network_fee, digest=digest,
            )
        )

    def fail(self, reason: str, at: datetime) -> None:
        self._check_pending()
        assert self.requested is not None
        self._record(
            WithdrawalFailed(
                originator_id=self.id, originator_version=self.next_version, at=at,
                owner=self.requested.owner, asset=self.requested.asset, released=self.hold, reason=reason,
            )
        )

    def _check_pending(self) -> None:
        if self.status != PENDING:
            raise WithdrawalNotCancellable(f"the withdrawal is {self.status}")

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case WithdrawalRequested():
                self.requested, self.status = event, PENDING
                self.ledger.hold(event.owner, event.asset, event.amount + event.network_fee)
            case WithdrawalCancelled():
                self.status = CANCELLED
                self.ledger.release(event.owner, event.asset, event.released)
            case WithdrawalFailed():
                self.status = FAILED
                self.ledger.release(event.owner, event.asset, event.released)
            case WithdrawalCompleted():
                self.status = COMPLETED
                self.ledger.spend_held(event.owner, event.asset, event.amount + event.network_fee)
                self.ledger.credit(FEE_ACCOUNT, event.asset, event.network_fee)
