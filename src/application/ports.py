"""What the application needs from the outside world, said as Protocols.

Adapters implement these; the container picks which. Nothing here names a
database, a driver or a framework.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain.shared.aggregate import DomainEvent


class ConcurrencyConflict(Exception):
    """Another writer appended to one of the streams first; reload and retry."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event with its place in the global log (1, 2, 3, … in commit order)."""

    position: int
    event: DomainEvent


class EventStore(Protocol):
    async def append(self, events: Sequence[DomainEvent]) -> int:
        """Store the events atomically, all or none, and return the log position of the last.

        Each event's (originator_id, originator_version) must be new: a second
        writer at the same version raises ConcurrencyConflict and stores nothing.
        """
        ...

    async def read_stream(self, stream_id: UUID, after_version: int = 0) -> list[DomainEvent]:
        """One stream's events, oldest first."""
        ...

    async def read_log(self, after: int, limit: int) -> list[Recorded]:
        """Up to ``limit`` events of the global log after ``after``, in commit order."""
        ...

    async def head(self) -> int:
        """The position of the last stored event; 0 for an empty log."""
        ...

    async def close(self) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@runtime_checkable
class IdGenerator(Protocol):
    def __call__(self) -> UUID: ...


class SubscriptionOverflow(Exception):
    """The subscriber fell further behind than its queue allows; its stream is cut."""


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[tuple[str, bytes]]: ...

    async def close(self) -> None: ...


@runtime_checkable
class PubSub(Protocol):
    """Fire-and-forget messages on named channels, for live fan-out.

    Delivery is at most once and in publish order per channel to each
    subscriber that was subscribed before the publish. A subscriber whose
    bounded queue fills gets SubscriptionOverflow instead of stalling others.
    """

    async def publish(self, channel: str, message: bytes) -> None: ...

    def subscribe(
        self, channels: Sequence[str], max_queue: int = 1000
    ) -> AbstractAsyncContextManager[Subscription]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class ProjectionRaced(Exception):
    """Another projector moved this view past the position it started from; nothing was written."""


class View(Protocol):
    """A read model: rows in their own tables and the log position they reflect."""

    name: str

    async def position(self) -> int: ...

    async def reset(self) -> None:
        """Empty the view and set its position to 0, in one transaction."""
        ...


class SignatureRejected(Exception):
    """A wallet signature that proves nothing; ``code`` says why, for the client and the logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PersonalMessageVerifier(Protocol):
    def signer_of(self, message: bytes, serialized_signature: str) -> str:
        """The Sui address (``0x`` + 64 lower-case hex) whose key signed ``message`` as a personal message.

        ``serialized_signature`` is the wallet's base64 ``flag || signature || public key``.
        Raises SignatureRejected with code ``malformed_signature`` (not strict base64, wrong
        length), ``unsupported_signature_scheme`` (a flag other than Ed25519, Secp256k1,
        Secp256r1), ``non_canonical_signature`` (ECDSA with high S) or ``invalid_signature``.
        """
        ...


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail) -> None:
        """Hand the message to the mail system; raises when it was not accepted."""
        ...


class ExpiringKeys(Protocol):
    """Small values that expire: sign-in challenges, used-nonce markers, revoked sessions.

    Expiry here only frees space; rules about time (is a challenge still
    valid?) are decided by the application with its Clock.
    """

    async def put(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def put_if_absent(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        """Store the value only if the key holds nothing (or only something expired); atomic across processes."""
        ...


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    address: str
    session_id: UUID
    roles: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    token_id: str


class TokenRejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AccessTokens(Protocol):
    def issue(self, claims: AccessClaims) -> str: ...

    def read(self, token: str) -> AccessClaims:
        """The claims of a token we signed that has not expired; TokenRejected (``invalid_token``, ``token_expired``) otherwise."""
        ...


class Randomness(Protocol):
    """Unpredictable values from a cryptographic source; tests pass a seeded one."""

    def token(self, nbytes: int) -> str:
        """URL-safe text carrying ``nbytes`` random bytes."""
        ...

    def hex(self, nbytes: int) -> str: ...

    def digits(self, n: int) -> str: ...


@runtime_checkable
class Chain(Protocol):
    """Where money enters and leaves: the Sui chain, or the local ledger that stands in for it."""

    @property
    def is_local(self) -> bool:
        """True for the local ledger, whose deposits an admin records by hand."""
        ...

    async def record_deposit(self, address: str, asset: str, amount: int) -> str:
        """Record a deposit as the chain watcher would see it; returns its transaction digest."""
        ...


@runtime_checkable
class SnapshotReader(Protocol):
    async def get(self, key: str) -> tuple[int, bytes] | None:
        """A live channel's latest snapshot and its sequence, for a subscriber to start from."""
        ...


@runtime_checkable
class LiveSnapshots(SnapshotReader, Protocol):
    """The latest state of each live channel with its sequence, shared by every server process.

    Writes may lag the published updates a little; a reader that finds the
    snapshot older than the first update it holds reads it again.
    """

    async def put_many(self, snapshots: dict[str, tuple[int, bytes]]) -> None: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    """One hit's answer: let it through or not, and what is left of its window."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float
    """Until the window ends and the count starts again."""


class RateLimiter(Protocol):
    """Counts hits per key in fixed windows, shared by every process that uses the same store.

    A window opens at a key's first hit and lasts ``window_seconds``; at most
    ``limit`` hits in it are allowed. Counting and deciding are one atomic step,
    so however many processes hit one key at once, no window lets more than
    ``limit`` through.
    """

    async def hit(self, key: str, limit: int, window_seconds: float) -> Verdict: ...


class ConnectionSlots(Protocol):
    """At most ``cap`` simultaneous holders per key (live connections per IP or user), across processes.

    A hold lasts until released, or until the process that took it dies: then
    it lapses by itself within the adapter's lease (a killed process leaks no slot).
    """

    async def take(self, key: str, holder: str, cap: int) -> bool:
        """Hold a slot of ``key`` for ``holder`` if fewer than ``cap`` are held; atomic across processes.

        Taking again what one already holds succeeds and still counts once.
        """
        ...

    async def release(self, key: str, holder: str) -> None: ...
