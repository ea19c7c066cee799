"""Balances: per owner and asset, ``available`` and ``held``; never negative.

The ledger is the one place balances live in memory. Its mutators are
called only from the ``_apply`` of the aggregates whose events move money
(accounts, order books), so replaying the log in order rebuilds it exactly.
The fee account is an ordinary owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from domain.account.errors import InvalidAmount
from domain.account.events import Deposited, SupplyIssued
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.money import MAX_QUOTE

ACCOUNTS_ID = UUID("2c9a8f1e-5b7d-4e3a-9c61-0d4f8b2e7a55")  # the stream of deposits, withdrawals and issuance
FEE_ACCOUNT = UUID("f0000000-0000-4000-8000-000000000fee")


class Ledger:
    __slots__ = ("_balances",)

    def __init__(self) -> None:
        self._balances: dict[tuple[UUID, str], list[int]] = {}

    def available(self, owner: UUID, asset: str) -> int:
        found = self._balances.get((owner, asset))
        return found[0] if found else 0

    def held(self, owner: UUID, asset: str) -> int:
        found = self._balances.get((owner, asset))
        return found[1] if found else 0

    def balances_of(self, owner: UUID) -> dict[str, tuple[int, int]]:
        return {asset: (b[0], b[1]) for (o, asset), b in self._balances.items() if o == owner}

    def totals(self) -> dict[str, int]:
        """Per asset, the sum over every owner of available + held: what conservation checks."""
        sums: dict[str, int] = {}
        for (_, asset), (available, held) in self._balances.items():
            sums[asset] = sums.get(asset, 0) + available + held
        return sums

    def entries(self) -> Iterator[tuple[UUID, str, int, int]]:
        for (owner, asset), (available, held) in self._balances.items():
            yield owner, asset, available, held

    # Mutators: for _apply only. They trust the decision that recorded the event.

    def credit(self, owner: UUID, asset: str, amount: int) -> None:
        balance = self._balances.get((owner, asset))
        if balance is None:
            self._balances[(owner, asset)] = [amount, 0]
        else:
            balance[0] += amount

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
        balance = self._balances.get((owner, asset))
        if balance is None:
            balance = self._balances[(owner, asset)] = [0, 0]
        return balance


class Accounts(Aggregate):
    """The accounts stream: money that enters or leaves the exchange (deposits, issuance; later withdrawals)."""

    def __init__(self, id: UUID = ACCOUNTS_ID, ledger: Ledger | None = None) -> None:
        super().__init__(id)
        self.ledger = ledger if ledger is not None else Ledger()

    def deposit(self, owner: UUID, asset: str, amount: int, reference: str, at: datetime, address: str = "") -> None:
        if not 0 < amount <= MAX_QUOTE:
            raise InvalidAmount("a deposit is more than zero and at most a billion")
        self._record(
            Deposited(originator_id=self.id, originator_version=self.next_version, at=at, owner=owner, asset=asset, amount=amount, reference=reference, address=address)
        )

    def issue(self, owner: UUID, asset: str, amount: int, at: datetime, address: str = "") -> None:
        if amount <= 0:
            raise InvalidAmount("a supply is more than zero")
        self._record(SupplyIssued(originator_id=self.id, originator_version=self.next_version, at=at, owner=owner, asset=asset, amount=amount, address=address))

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case Deposited() | SupplyIssued():
                self.ledger.credit(event.owner, event.asset, event.amount)
