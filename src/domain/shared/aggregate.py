"""Event-sourced aggregate base: decide, then apply.

State changes only in ``_apply``, which never raises, so replaying stored
events always rebuilds the aggregate. New events wait in ``_pending`` until
``collect_events`` hands them to the application.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Self
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Base of every stored event: which stream, which version in it, and when."""

    originator_id: UUID
    originator_version: int
    at: datetime


class Aggregate:
    def __init__(self, id: UUID) -> None:
        self.id = id
        self.version = 0
        self._pending: list[DomainEvent] = []

    @classmethod
    def replay(cls, id: UUID, events: Iterable[DomainEvent]) -> Self:
        aggregate = cls(id)
        for event in events:
            aggregate.apply_stored(event)
        return aggregate

    def apply_stored(self, event: DomainEvent) -> None:
        """Bring the aggregate forward by one event read from the store."""
        self._apply(event)
        self.version = event.originator_version

    def collect_events(self) -> list[DomainEvent]:
        events, self._pending = self._pending, []
        return events

    @property
    def next_version(self) -> int:
        return self.version + 1

    def _record(self, event: DomainEvent) -> None:
        self._apply(event)
        self.version = event.originator_version
        self._pending.append(event)

    def _apply(self, event: DomainEvent) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
