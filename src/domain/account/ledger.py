"""Balances: per owner and asset, ``available`` and ``held``; never negative.

The ledger is the one place balances live in memory. Its mutators are
called only from the ``_apply`` of the aggregates whose events move money
(accounts, order books), so replaying the log in order rebuilds it exactly.
The fee account is an ordinary owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID, uuid5

from domain.account.errors import DepositRecorded, InvalidAmount, InvalidReference
from domain.account.events import Deposited, SupplyIssued
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.money import MAX_QUOTE
from domain.shared.text import check_text

ACCOUNTS_ID = UUID("2c9a8f1e-5b7d-4e3a-9c61-0d4f8b2e7a55")  # the stream of issuance (and of deposits, in old logs)
FEE_ACCOUNT = UUID("f0000000-0000-4000-8000-000000000fee")


LedgerEntry = tuple[UUID, str, int, int]  # owner, asset, available, held


class Ledger:
    """Per owner, per asset, ``[available, held]``; indexed by owner so one user's balances cost their own size."""

    __slots__ = ("_balances",)

    def __init__(self) -> None:
        self._balances: dict[UUID, dict[str, list[int]]] = {}

    def available(self, owner: UUID, asset: str) -> int:
        found = self._balances.get(owner)
        balance = found.get(asset) if found else None
        return balance[0] if balance else 0

    def held(self, owner: UUID, asset: str) -> int:
        found = self._balances.get(owner)
        balance = found.get(asset) if found else None
        return balance[1] if balance else 0

    def balances_of(self, owner: UUID) -> dict[str, tuple[int, int]]:
        return {asset: (b[0], b[1]) for asset, b in self._balances.get(owner, {}).items()}

    def totals(self) -> dict[str, int]:
        """Per asset, the sum over every owner of available + held: what conservation checks."""
        sums: dict[str, int] = {}
        for _, asset, available, held in self.entries():
            sums[asset] = sums.get(asset, 0) + available + held
        return sums

    def entries(self) -> Iterator[LedgerEntry]:
        for owner, assets in self._balances.items():
            for asset, (available, held) in assets.items():
                yield owner, asset, available, held

    # Snapshots: every entry, zeros included, in one order whatever the history.

    def state(self) -> list[LedgerEntry]:
        return sorted(self.entries())

    @classmethod
    def from_state(cls, entries: list[LedgerEntry]) -> Ledger:
        ledger = cls()
        for owner, asset, available, held in entries:
            ledger._balances.setdefault(owner, {})[asset] = [available, held]
        return ledger

    # Mutators: for _apply only. They trust the decision that recorded the event.

    def credit(self, owner: UUID, asset: str, amount: int) -> None:
        self._entry(owner, asset)[0] += amount

    def debit(self, owner: UUID, asset: str, amount: int) -> None:
        self._entry(owner, asset)[0] -= amount

    def hold(self, owner: UUID, asset: str, amount: int) -> None:
        balance = self._entry(owner, asset)
        balance[0] -= amount
        balance[1] += amount

    def release(self, owner: UUID, asset: str, amount: int) -> None:
        balance = self._entry(owner, asset)
        balance[1] -= amount
        balance[0] += amount

    def spend_held(self, owner: UUID, asset: str, amount: int) -> None:
        self._entry(owner, asset)[1] -= amount

    def _entry(self, owner: UUID, asset: str) -> list[int]:
        """The balance to change, made at zero if the owner never had the asset (a hold of nothing)."""
        assets = self._balances.get(owner)
        if assets is None:
            assets = self._balances[owner] = {}
        balance = assets.get(asset)
        if balance is None:
            balance = assets[asset] = [0, 0]
        return balance


DEPOSITS_NAMESPACE = UUID("5d0c7f4e-8a21-4b6e-9f3d-2c7a1e9b4d60")
REFERENCE_MAX = 100  # the transactions view keeps it in 100 characters


def deposit_stream(reference: str) -> UUID:
    """A deposit's own stream, named by its reference: a second deposit with that reference would write
    version 1 of the same stream again, which the event store refuses, so a reference credits once."""
    return uuid5(DEPOSITS_NAMESPACE, reference)


def check_reference(reference: str) -> str:
    if not 1 <= len(reference) <= REFERENCE_MAX or reference.strip() != reference:
        raise InvalidReference(f"a reference is 1 to {REFERENCE_MAX} characters, without surrounding spaces")
    check_text(reference, "reference")
    return reference


def check_deposit(reference: str, amount: int, address: str = "") -> None:
    """What a deposit must be, checked before anything records it (the chain's side included)."""
    check_reference(reference)
    if not 0 < amount <= MAX_QUOTE:
        raise InvalidAmount("a deposit is more than zero and at most a billion")
    check_text(address, "address")


class Deposit(Aggregate):
    """One deposit, on the stream ``deposit_stream(reference)``: money that entered the exchange."""

    def __init__(self, id: UUID, ledger: Ledger | None = None) -> None:
        super().__init__(id)
        self.ledger = ledger if ledger is not None else Ledger()
        self.recorded: Deposited | None = None

    @classmethod
    def of(cls, reference: str, ledger: Ledger | None = None) -> Deposit:
        return cls(deposit_stream(check_reference(reference)), ledger)

    def record(
        self, owner: UUID, asset: str, amount: int, reference: str, at: datetime, address: str = "", digest: str = ""
    ) -> Deposited:
        if self.recorded is not None:
            raise DepositRecorded("this reference was recorded already")
        check_deposit(reference, amount, address)
        self._record(
            Deposited(
                originator_id=self.id, originator_version=self.next_version, at=at,
                owner=owner, asset=asset, amount=amount, reference=reference, address=address, digest=digest,
            )
        )
        assert self.recorded is not None
        return self.recorded

    def _apply(self, event: DomainEvent) -> None:
        assert isinstance(event, Deposited)
        self.recorded = event
        self.ledger.credit(event.owner, event.asset, event.amount)


class Accounts(Aggregate):
    """The accounts stream: token supply issued to creators. Deposits, transfers and withdrawals have a stream each.

    Logs written before deposits had their own streams hold ``Deposited`` here; they still apply."""

    def __init__(self, id: UUID = ACCOUNTS_ID, ledger: Ledger | None = None) -> None:
        super().__init__(id)
        self.ledger = ledger if ledger is not None else Ledger()

    def issue(self, owner: UUID, asset: str, amount: int, at: datetime, address: str = "") -> None:
        if amount <= 0:
            raise InvalidAmount("a supply is more than zero")
        self._record(SupplyIssued(originator_id=self.id, originator_version=self.next_version, at=at, owner=owner, asset=asset, amount=amount, address=address))

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case Deposited() | SupplyIssued():
                self.ledger.credit(event.owner, event.asset, event.amount)
