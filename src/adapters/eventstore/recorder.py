"""The async event store port over any of the eventsourcing library's application recorders.

The recorders are synchronous. Appends run on one dedicated writer thread,
so a process never has two of its own writes racing for the database lock;
reads run on the default thread pool. Listeners hear the new head after
every append made through this store (other processes' appends are found
by polling the head).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, IntegrityError

from adapters.eventstore.mapper import EventMapper
from application.ports import ConcurrencyConflict, Recorded
from domain.shared.aggregate import DomainEvent


class RecorderEventStore:
    def __init__(self, recorder: ApplicationRecorder, on_close: Callable[[], None] | None = None) -> None:
        self._recorder = recorder
        self._mapper = EventMapper()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventstore-writer")
        self._on_close = on_close
        self._listeners: list[Callable[[int], None]] = []

    def listen(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(head)`` on the event loop after each append through this store."""
        self._listeners.append(listener)

    async def append(self, events: Sequence[DomainEvent]) -> int:
        if not events:
            return await self.head()
        keys = {(e.originator_id, e.originator_version) for e in events}
        if len(keys) < len(events):
            raise ConcurrencyConflict("the batch holds two events at one stream version")
        stored = [self._mapper.to_stored_event(e) for e in events]
        loop = asyncio.get_running_loop()
        try:
            ids = await loop.run_in_executor(self._writer, self._recorder.insert_events, stored)
        except IntegrityError as error:
            raise ConcurrencyConflict(str(error)) from error
        assert ids, "an application recorder returns the positions it gave"
        head = ids[-1]
        for listener in self._listeners:
            listener(head)
        return head

    async def read_stream(self, stream_id: UUID, after_version: int = 0) -> list[DomainEvent]:
        stored = await self._read(self._recorder.select_events, stream_id, gt=after_version or None)
        return [self._mapper.to_domain_event(s) for s in stored]

    async def read_log(self, after: int, limit: int) -> list[Recorded]:
        notifications = await self._read(
            self._recorder.select_notifications, after, limit, inclusive_of_start=False
        )
        return [Recorded(n.id, self._mapper.to_domain_event(n)) for n in notifications]

    async def head(self) -> int:
        return await self._read(self._recorder.max_notification_id) or 0

    async def close(self) -> None:
        self._writer.shutdown(wait=True)
        if self._on_close is not None:
            self._on_close()

    async def _read(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(partial(method, *args, **kwargs))
