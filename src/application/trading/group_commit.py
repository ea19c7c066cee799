"""Group commit: many commands' events in one event-store transaction, each acknowledged after that commit.

Commands hand their events over in the order they were decided; while one
transaction is in flight the next batch gathers, so under load a batch grows
and the cost of a commit (an fsync) is shared. The log is gap-free, so each
command's last position follows from the batch's last.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from application.errors import ServiceUnavailable
from application.ports import EventStore
from domain.shared.aggregate import DomainEvent

log = logging.getLogger(__name__)

MAX_BATCH_EVENTS = 5_000


class CommitFailed(ServiceUnavailable):
    """The batch holding this command's events was not stored; the engine halts and rebuilds from the log."""

    code = "commit_failed"


class GroupCommit:
    def __init__(
        self,
        store: EventStore,
        on_failure: Callable[[BaseException], None],
        max_events: int = MAX_BATCH_EVENTS,
    ) -> None:
        self._store = store
        self._on_failure = on_failure
        self._max_events = max_events
        self._pending: list[tuple[Sequence[DomainEvent], asyncio.Future[int]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight = False
        self.fence: int | None = None  # the engine's writer fence, checked by every append
        self.last = 0  # the log position of the last event this engine stored (or recovered to)
        self.batches = 0

    def submit(self, events: Sequence[DomainEvent]) -> asyncio.Future[int]:
        """Queue one command's events (synchronously, so submission order is decision order)."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((events, future))
        self._wakeup.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="group-commit")
        return future

    async def settled(self) -> int:
        """Return once everything decided so far is durable (at once when nothing is waiting): the position."""
        if self._pending or self._in_flight:
            return await self.submit(())
        return self.last

    async def close(self) -> None:
        try:
            await self.settled()
        except Exception:  # a failed last batch: its commands were answered already
            pass
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = self._take()
                self._in_flight = True
                try:
                    await self._commit(batch)
                finally:
                    self._in_flight = False

    def _take(self) -> list[tuple[Sequence[DomainEvent], asyncio.Future[int]]]:
        taken, count = 0, 0
        for events, _ in self._pending:
            if taken and count + len(events) > self._max_events:
                break
            count += len(events)
            taken += 1
        batch, self._pending = self._pending[:taken], self._pending[taken:]
        return batch

    async def _commit(self, batch: list[tuple[Sequence[DomainEvent], asyncio.Future[int]]]) -> None:
        events = [event for command_events, _ in batch for event in command_events]
        try:
            last = await self._store.append(events, fence=self.fence) if events else self.last
        except BaseException as error:  # the in-memory state is ahead of the log now: nothing later may commit
            failed = batch + self._pending
            self._pending = []
            for _, future in failed:
                if not future.done():
                    future.set_exception(CommitFailed(str(error) or type(error).__name__))
            log.error("group commit failed; halting the engine", exc_info=error)
            try:
                self._on_failure(error)
            except Exception:
                log.exception("the engine's failure handler failed")
            if isinstance(error, asyncio.CancelledError):
                raise
            return
        self.batches += 1
        self.last = last
        position = last - len(events)
        for command_events, future in batch:
            position += len(command_events)
            if not future.done():
                future.set_result(position)
