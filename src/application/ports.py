"""What the application needs from the outside world, said as Protocols.

Adapters implement these; the container picks which. Nothing here names a
database, a driver or a framework.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from uuid import UUID

from domain.shared.aggregate import DomainEvent

if TYPE_CHECKING:
    from application.live.market import Snapshot
    from application.trading.commands import EngineCommand
    from application.trading.exchange import Done


class ConcurrencyConflict(Exception):
    """Another writer appended to one of the streams first; reload and retry."""


class Fenced(Exception):
    """An append carried a fence older than the store's: another engine has become the writer since."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event with its place in the global log (1, 2, 3, … in commit order)."""

    position: int
    event: DomainEvent


class EventStore(Protocol):
    async def append(self, events: Sequence[DomainEvent], fence: int | None = None) -> int:
        """Store the events atomically, all or none, and return the log position of the last.

        Each event's (originator_id, originator_version) must be new: a second
        writer at the same version raises ConcurrencyConflict and stores nothing.
        With ``fence`` (the engine's appends), the store first checks, inside the
        same transaction, that no later writer has claimed it: Fenced otherwise.
        """
        ...

    async def claim_writer(self) -> int:
        """Make the caller the one engine writer: a new fence, higher than every earlier one.

        Taken under the same lock as appends, so an append of an earlier writer
        has either committed before it (and is in the log the new writer reads)
        or fails with Fenced.
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


class WriterLease(Protocol):
    """Mutual exclusion between engine processes on one store: at most one holds the lease."""

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it; False at once if another process does."""
        ...

    async def lost(self) -> None:
        """Return when the lease, once held, is lost (its connection or file is gone)."""
        ...

    async def release(self) -> None: ...


@runtime_checkable
class CommandBus(Protocol):
    """How an API process's trading commands reach the engine and its answers come back.

    ``send`` answers the engine's ``Done``, or raises what the engine raised (a DomainError or
    ApplicationError of the same kind and code), or ``EngineUnavailable`` when no answer came in time: then
    the outcome is unknown. A command may be delivered to the engine more than once; ``command_id`` names it
    (see application.trading.commands for why a second delivery does nothing)."""

    async def start(self) -> None: ...

    async def send(self, command_id: UUID, command: EngineCommand) -> Done: ...

    async def close(self) -> None: ...


class CommandQueue(Protocol):
    """The engine's end of the command bus: every command, in the order sent, handed to ``handle`` one at a
    time (each decided before the next starts; their commits may overlap), its outcome sent back."""

    async def serve(self, handle: Callable[[EngineCommand], Awaitable[Done]]) -> None:
        """Until cancelled. On start, first the commands a previous engine took and never answered."""
        ...

    async def close(self) -> None: ...


class SnapshotStore(Protocol):
    """Snapshots of the committed market, each at a log position; the newest is where recovery starts."""

    async def save(self, snapshot: Snapshot) -> None: ...

    async def latest(self) -> Snapshot | None:
        """The newest usable snapshot; None when there is none, or it was written in another format."""
        ...


class ClosedOrders(Protocol):
    async def status_of(self, user_id: UUID, order_id: UUID) -> str | None:
        """The status of one of the user's orders as the trading view has it (once it holds every event
        written so far); None when the user has no such order."""
        ...


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


class ViewUnavailable(Exception):
    """The view's database could not be reached or is busy (connection lost, lock, deadlock); nothing was written.

    It says nothing about the events: they are tried again later, never set aside.
    """


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An event a view could not apply, set aside so the view could move past it."""

    view: str
    position: int
    topic: str  # the event's class path, as stored
    stream_id: UUID
    stream_version: int
    error: str
    first_failed_at: datetime
    last_failed_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class ViewProgress:
    position: int
    dead_letters: int  # how many events the view has set aside


class View(Protocol):
    """A read model: rows in their own tables, the log position they reflect, and the events it set aside."""

    name: str

    async def position(self) -> int: ...

    async def progress(self) -> ViewProgress:
        """Position and dead-letter count, read together."""
        ...

    async def reset(self) -> None:
        """Empty the view, forget its dead letters and set its position to 0, in one transaction."""
        ...

    async def set_aside(self, expected: int, letter: DeadLetter) -> None:
        """Store the dead letter and move the view from ``expected`` to its position, in one transaction.

        Raises ProjectionRaced, writing nothing, when the view is no longer at ``expected``.
        """
        ...

    async def dead_letters(self) -> list[DeadLetter]:
        """The events this view set aside, oldest first."""
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


class EmailAddresses(Protocol):
    def normalise(self, text: str) -> str:
        """``text`` as one plain-ASCII address (``local@domain``, the domain in lower case and IDNA form)
        that every Mailer accepts; raises domain.identity.errors.InvalidEmail for anything else.
        Syntax only: no DNS, so it answers the same offline."""
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


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A Sui object at one version: ``0x`` + 64 lowercase hex, its version, its digest in Base58."""

    object_id: str
    version: int
    digest: str


@dataclass(frozen=True, slots=True)
class Payout:
    """One withdrawal a batch pays: ``amount`` of ``asset`` (smallest units) from the asset's vault to ``recipient``."""

    asset: str  # "USD" or a token id
    amount: int
    recipient: str  # 0x + 64 hex


@dataclass(frozen=True, slots=True)
class BatchContent:
    """What a settlement batch's transaction says (SETTLEMENT.md): record_batch, then one withdraw per payout."""

    sequence: int
    trades_root: bytes  # 32 bytes
    trade_count: int
    payouts: tuple[Payout, ...]


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """A Sui ``TransactionData`` in BCS, the operator's serialized signature (flag ‖ signature ‖ public key) and
    the transaction digest (Base58); built once and stored, so a retry sends these very bytes."""

    tx_bytes: bytes
    signature: bytes
    digest: str
    operator_address: str


@dataclass(frozen=True, slots=True)
class Effects:
    """What the chain did with a transaction: executed and succeeded, or failed (``error`` says why)."""

    digest: str
    ok: bool
    error: str = ""
    checkpoint: int | None = None


class ChainUnavailable(Exception):
    """The chain did not answer (transport error, time-out): the transaction's outcome is unknown, never failed."""


class ChainUnreadable(Exception):
    """The chain answered with what the adapter cannot use (a misconfigured or hostile node, another layout)."""


class VaultNotConfigured(LookupError):
    """The deployment has no vault for this asset: the chain can neither show nor pay it."""


@dataclass(frozen=True, slots=True)
class Vault:
    """What the chain holds for one asset."""

    asset: str
    object_id: str
    coin_type: str
    balance: int  # smallest units


@dataclass(frozen=True, slots=True)
class Pool:
    """A token's AMM pool on chain: reserves in the token's base units and in micro-USD."""

    object_id: str
    token_reserve: int
    usd_reserve: int


@dataclass(frozen=True, slots=True)
class ChainDeposit:
    """A ``vault::Deposited`` event: ``amount`` of ``asset`` sent by ``sender``; unique by (digest, event_sequence)."""

    digest: str
    event_sequence: int
    sender: str
    asset: str
    amount: int


@runtime_checkable
class Chain(Protocol):
    """Where money enters and leaves: the Sui chain, or the local ledger that stands in for it."""

    @property
    def is_local(self) -> bool:
        """True for the local ledger, whose deposits an admin records by hand."""
        ...

    @property
    def operator_address(self) -> str:
        """The address that signs and pays for every settlement transaction (known once started)."""
        ...

    async def start(self) -> None:
        """Get ready before the first call (the local ledger: its tables and its operator key); idempotent."""
        ...

    async def close(self) -> None: ...

    async def prepare(self, content: BatchContent) -> SignedTransaction:
        """Build the batch's transaction (gas payment, reference gas price and budget read from the chain) and sign
        it with the operator key. ChainUnavailable when the chain cannot be read."""
        ...

    async def execute(self, tx: SignedTransaction) -> Effects:
        """Submit the signed bytes and wait for their effects. A digest the chain executed before answers its
        effects again and is not executed twice; a transaction the chain refuses outright (bad signature,
        unparseable, stale gas) answers failed effects. ChainUnavailable when the outcome is unknown."""
        ...

    async def effects(self, digest: str) -> Effects | None:
        """The effects of an executed transaction; None when the chain has never executed it."""
        ...

    def can_pay(self, asset: str) -> bool:
        """Whether a batch could pay this asset out: the deployment has a vault for it. A withdrawal of any other
        asset is refused when asked for, never left to stall every batch after it."""
        ...

    async def vault(self, asset: str) -> Vault:
        """The asset's vault as the chain holds it now; VaultNotConfigured when the deployment has none."""
        ...

    async def pool(self, token_id: UUID) -> Pool | None:
        """The token's AMM pool, None when none is configured."""
        ...

    async def deposits(self, cursor: str | None, limit: int) -> tuple[list[ChainDeposit], str | None]:
        """``Deposited`` events after ``cursor`` in chain order, and the cursor after the last of them."""
        ...

    async def record_deposit(self, address: str, asset: str, amount: int, reference: str) -> str:
        """Local ledger only (POST /admin/deposits): put ``amount`` into the asset's vault as sent by ``address``,
        once per reference; the digest that stands for it (the same for the same reference)."""
        ...


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


# ----- public pages and files (CREATORS.md: POST /scrape, POST /upload) -----


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str  # as asked
    final_url: str  # after the redirects the fetcher followed itself
    content_type: str  # the declared media type, lower-case, without parameters
    charset: str | None  # the declared charset, if any
    body: bytes  # never more than the fetcher's size cap


class PageFetcher(Protocol):
    """GET a public http(s) page without becoming a way into the private network.

    Raises UrlNotAllowed, PageTooLarge, PageUnusable or FetchTimeout (application.errors)."""

    async def fetch(self, url: str) -> FetchedPage: ...


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What a profile page says of itself: OpenGraph, Twitter card and schema.org Person JSON-LD."""

    title: str | None
    description: str | None
    image: str | None  # absolute URL
    site_name: str | None
    name: str | None
    handle: str | None
    bio: str | None
    avatar_url: str | None  # absolute URL
    followers: int | None


class PageReader(Protocol):
    def read(self, page: FetchedPage) -> PageFacts: ...


@dataclass(frozen=True, slots=True)
class CleanFile:
    """An upload as it will be stored: its type found from its bytes, an image re-encoded without metadata."""

    data: bytes
    content_type: str  # image/png, image/jpeg, image/webp or application/pdf
    width: int | None
    height: int | None


class FileInspector(Protocol):
    """Find an upload's type from its bytes and clean it. Raises UnsupportedMediaType or InvalidImage."""

    def clean(self, data: bytes) -> CleanFile: ...


@dataclass(frozen=True, slots=True)
class StoredFile:
    id: str  # the lowercase hex SHA-256 of the stored bytes
    content_type: str
    size: int
    width: int | None
    height: int | None


class FileStorage(Protocol):
    """Content-addressed storage: the same bytes are the same id, written once, atomically."""

    async def put(self, file: CleanFile) -> StoredFile: ...

    async def get(self, file_id: str) -> tuple[StoredFile, bytes] | None: ...
