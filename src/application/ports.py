"""What the application needs from the outside world, said as Protocols.

Adapters implement these; the container picks which. Nothing here names a
database, a driver or a framework.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
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


class IdGenerator(Protocol):
    def __call__(self) -> UUID: ...


class SubscriptionOverflow(Exception):
    """The subscriber fell further behind than its queue allows; its stream is cut."""


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[tuple[str, bytes]]: ...

    async def close(self) -> None: ...


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
