"""The async event store port over any of the eventsourcing library's application recorders.

The recorders are synchronous. Appends run on one dedicated writer thread,
so a process never has two of its own writes racing for the database lock;
reads run on the default thread pool. Listeners hear the new head after
every append made through this store (other processes' appends are found
by polling the head); a failing listener is logged and never fails the
append, which has committed by then.

Each recorder here also keeps the engine's fence (one row: the epoch of the
latest writer, raised by ``claim_writer`` under the append lock and checked
inside every fenced append's transaction) and the engine's snapshots.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, IntegrityError

from adapters.eventstore.mapper import EventMapper
from application.ports import ConcurrencyConflict, Fenced, Recorded
from domain.shared.aggregate import DomainEvent

log = logging.getLogger(__name__)

KEEP_SNAPSHOTS = 3


class StaleFence(Exception):
    """Raised inside a recorder's append transaction, so that the transaction rolls back."""


def check_fence(current: int, given: int | None) -> None:
    if given is not None and given != current:
        raise StaleFence(f"the writer's fence is {current}; this append carries {given}")


class EngineRecorder(Protocol):
    """What our recorder subclasses add to the library's: the fence and the snapshots."""

    def claim_writer(self) -> int: ...

    def save_snapshot(self, position: int, data: bytes, keep: int) -> None: ...

    def latest_snapshot(self) -> tuple[int, bytes] | None: ...


class RecorderEventStore:
    def __init__(self, recorder: ApplicationRecorder, on_close: Callable[[], None] | None = None) -> None:
        self._recorder = recorder
        self._mapper = EventMapper()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventstore-writer")
        self._on_close = on_close
        self._listeners: list[Callable[[int], None]] = []

    @property
    def recorder(self) -> ApplicationRecorder:
        return self._recorder

    def listen(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(head)`` on the event loop after each append through this store."""
        self._listeners.append(listener)

    async def append(self, events: Sequence[DomainEvent], fence: int | None = None) -> int:
        if not events:
            return await self.head()
        keys = {(e.originator_id, e.originator_version) for e in events}
        if len(keys) < len(events):
            raise ConcurrencyConflict("the batch holds two events at one stream version")
        stored = [self._mapper.to_stored_event(e) for e in events]
        loop = asyncio.get_running_loop()
        insert = partial(self._recorder.insert_events, stored, fence=fence)
        try:
            ids = await loop.run_in_executor(self._writer, insert)
        except IntegrityError as error:
            raise ConcurrencyConflict(str(error)) from error
        except StaleFence as error:
            raise Fenced(str(error)) from error
        assert ids, "an application recorder returns the positions it gave"
        head = ids[-1]
        for listener in self._listeners:
            try:
                listener(head)
            except Exception:  # the events are stored; whoever listens must not make that look like a failure
                log.exception("an event store listener failed")
        return head

    async def claim_writer(self) -> int:
        recorder: EngineRecorder = self._recorder  # type: ignore[assignment]
        return await asyncio.get_running_loop().run_in_executor(self._writer, recorder.claim_writer)

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
