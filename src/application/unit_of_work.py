"""One command's consistency boundary: load aggregates, decide, append all their events at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from application.ports import ConcurrencyConflict, EventStore
from domain.shared.aggregate import Aggregate

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")

RETRIES = 10  # each round of a contended stream lets at least one writer through


@dataclass(frozen=True, slots=True)
class Committed(Generic[T]):
    """What a command did, and the log position a reader can wait for to see it."""

    value: T
    position: int


class UnitOfWork:
    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._loaded: list[Aggregate] = []

    async def get(self, cls: type[A], id: UUID) -> A:
        aggregate = cls.replay(id, await self._store.read_stream(id))
        self._loaded.append(aggregate)
        return aggregate

    async def commit(self) -> int:
        events = [event for aggregate in self._loaded for event in aggregate.collect_events()]
        return await self._store.append(events)


async def run_command(store: EventStore, decide: Callable[[UnitOfWork], Awaitable[T]]) -> Committed[T]:
    """Load, decide and commit; when another writer got there first, reload and decide again."""
    for attempt in range(1, RETRIES + 1):
        uow = UnitOfWork(store)
        value = await decide(uow)
        try:
            return Committed(value, await uow.commit())
        except ConcurrencyConflict:
            if attempt == RETRIES:
                raise
    raise AssertionError("unreachable")
