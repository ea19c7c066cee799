"""Events of the accounts stream. Never rename or move these classes: their path is the stored topic."""

from dataclasses import dataclass
from uuid import UUID

from domain.shared.aggregate import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class Deposited(DomainEvent):
    owner: UUID
    asset: str  # "USD" or a token id
    amount: int
    reference: str  # what makes it unique: the chain's digest and event number, or an admin's reference
    address: str = ""  # the owner's wallet, when the deposit named one
    digest: str = ""  # the chain transaction that brought the money in


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyIssued(DomainEvent):
    owner: UUID
    asset: str
    amount: int
    address: str = ""  # the creator's wallet
