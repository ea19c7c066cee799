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


@dataclass(frozen=True, slots=True, kw_only=True)
class Transferred(DomainEvent):
    """One user sent another ``amount`` of an asset; the sender paid ``amount + fee``, the fee to the fee
    account. The stream is the transfer's own (named by the sender's idempotency key when one was given)."""

    sender: UUID
    recipient: UUID
    asset: str
    amount: int
    fee: int
    from_address: str
    to_address: str
    key: str = ""  # the sender's Idempotency-Key, "" when none


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawalRequested(DomainEvent):
    """``amount + network_fee`` held at once; pending until a settlement batch carries it. The stream is the
    withdrawal's own; its id is the stream id."""

    owner: UUID
    asset: str
    amount: int
    network_fee: int
    to_address: str
    key: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawalCancelled(DomainEvent):
    """The owner took it back while pending: the hold is released."""

    owner: UUID
    asset: str
    released: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawalCompleted(DomainEvent):
    """Paid on chain: ``amount`` left the exchange, ``network_fee`` went to the fee account."""

    owner: UUID
    asset: str
    amount: int
    network_fee: int
    digest: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawalFailed(DomainEvent):
    """The chain refused the batch that carried it: the hold is released."""

    owner: UUID
    asset: str
    released: int
    reason: str
