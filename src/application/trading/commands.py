"""The engine's commands as values: what an API process asks of the engine, wherever the engine runs.

An API process builds one of these, gives it a command id and sends it
through the ``CommandBus`` port (in-process in ``serve``, Redis Streams
between processes); the engine's ``EngineService`` carries it out on the
``Exchange`` and answers a ``Done`` or a refusal. Nothing here knows how a
command travels: ``REPLIES`` names the type each command answers with, so a
transport can decode an answer without guessing, and ``Refusal`` is a
refused command's error as plain data.

A command may be delivered twice (a transport delivers at least once; an
engine that dies after a commit and before its answer is sent gets the
command again after a restart). Each command carries what makes the second
delivery harmless, stored with its effect in the log: a placement its order
id (an id in use, or recently closed, is refused), a transfer or withdrawal
its stream id (the second finds the first stored and answers it), a deposit
its reference, a listing its symbol; cancelling twice cancels once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.errors import ApplicationError, ServiceUnavailable
from application.ports import SignedTransaction
from application.trading.exchange import DepositSnapshot, PlacementSnapshot, Repeatable, WithdrawalEnded
from domain.account.events import Transferred, WithdrawalRequested
from domain.orderbook.order import NewOrder, OrderState
from domain.settlement.events import BatchBuilt, BatchConfirmed, BatchFailed, BatchOpened, BatchSubmitted
from domain.shared.errors import Conflict, DomainError, Forbidden, NotFound, RuleViolation, TooSoon, Unauthenticated
from domain.token.events import TokenListed
from domain.token.token import MarketParameters


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    token_id: UUID
    order: NewOrder


@dataclass(frozen=True, slots=True)
class CancelOrder:
    user_id: UUID
    order_id: UUID


@dataclass(frozen=True, slots=True)
class CancelAll:
    user_id: UUID
    token_id: UUID | None


@dataclass(frozen=True, slots=True)
class RecordDeposit:
    owner: UUID
    asset: str
    amount: int
    reference: str
    address: str = ""
    digest: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MakeTransfer:
    transfer_id: UUID
    sender: UUID
    recipient: UUID
    asset: str
    amount: int
    from_address: str
    to_address: str
    key: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestWithdrawal:
    withdrawal_id: UUID
    owner: UUID
    asset: str
    amount: int
    network_fee: int
    to_address: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class CancelWithdrawal:
    owner: UUID
    withdrawal_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class ListToken:
    symbol: str
    name: str
    creator_id: UUID
    creator_address: str
    total_supply: int
    initial_price: int
    parameters: MarketParameters
    owner_id: UUID | None = None


# ----- the settler's (SETTLEMENT.md): a batch's life, one step at a time -----


@dataclass(frozen=True, slots=True)
class OpenBatch:
    pass


@dataclass(frozen=True, slots=True)
class RecordBuilt:
    sequence: int
    trades_root: bytes
    tx: SignedTransaction


@dataclass(frozen=True, slots=True)
class RecordSubmitted:
    sequence: int


@dataclass(frozen=True, slots=True)
class ConfirmBatch:
    sequence: int
    digest: str
    checkpoint: int | None


@dataclass(frozen=True, slots=True)
class FailBatch:
    sequence: int
    error: str


EngineCommand = (
    PlaceOrder | CancelOrder | CancelAll | RecordDeposit | MakeTransfer | RequestWithdrawal | CancelWithdrawal | ListToken
    | OpenBatch | RecordBuilt | RecordSubmitted | ConfirmBatch | FailBatch
)

# what each command answers with (Done.value), for a transport that has to decode it
REPLIES: dict[type[Any], Any] = {
    PlaceOrder: PlacementSnapshot,
    CancelOrder: OrderState,
    CancelAll: list[OrderState],
    RecordDeposit: DepositSnapshot,
    MakeTransfer: Repeatable[Transferred],
    RequestWithdrawal: Repeatable[WithdrawalRequested],
    CancelWithdrawal: WithdrawalEnded,
    ListToken: TokenListed,
    OpenBatch: BatchOpened | None,
    RecordBuilt: BatchBuilt,
    RecordSubmitted: BatchSubmitted,
    ConfirmBatch: BatchConfirmed,
    FailBatch: BatchFailed,
}


class EngineUnavailable(ServiceUnavailable):
    """No answer from the engine in time: the outcome is unknown (the command may still be carried out)."""

    code = "engine_unavailable"


# ----- a refused command, as data -----

_KINDS: tuple[tuple[str, type[Exception]], ...] = (
    ("unauthenticated", Unauthenticated),
    ("too_soon", TooSoon),
    ("forbidden", Forbidden),
    ("not_found", NotFound),
    ("conflict", Conflict),
    ("rule", RuleViolation),
    ("domain", DomainError),
    ("unavailable", ServiceUnavailable),
    ("application", ApplicationError),
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A DomainError or ApplicationError the engine raised, by kind: enough to answer the client the same way."""

    kind: str
    code: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # an ApplicationError's own HTTP status
    retry_after_seconds: int | None = None


def refusal_of(error: Exception) -> Refusal | None:
    """The refusal an error is, or None for an error no command should raise (a bug, an outage)."""
    for kind, cls in _KINDS:
        if isinstance(error, cls):
            return Refusal(
                kind,
                getattr(error, "code", kind),
                getattr(error, "message", str(error)),
                dict(getattr(error, "fields", {})),
                getattr(error, "status", None),
                getattr(error, "retry_after_seconds", None),
            )
    return None


def refused(refusal: Refusal) -> Exception:
    """The error to raise where the command was sent: of the same kind, code, message and fields."""
    cls = dict(_KINDS).get(refusal.kind, ApplicationError)
    error = cls(refusal.message)
    error.code = refusal.code  # type: ignore[attr-defined]
    if refusal.fields:
        error.fields = dict(refusal.fields)  # type: ignore[attr-defined]
    if refusal.status is not None:
        error.status = refusal.status  # type: ignore[attr-defined]
    if refusal.retry_after_seconds is not None:
        error.retry_after_seconds = refusal.retry_after_seconds  # type: ignore[attr-defined]
    return error
