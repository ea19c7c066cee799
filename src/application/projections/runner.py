"""Feeds the global log to every projector, batch by batch, exactly once per view.

Each batch is written with the view's new position in one transaction, on
the condition that the position is still the one the batch started from;
so a crash resumes where the last commit left off, and two processes (or a
rebuild beside a live server) never apply one event twice: the loser of a
race writes nothing and reads its position again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from application.ports import EventStore, ProjectionRaced, Recorded, View

log = logging.getLogger(__name__)


class Projector(Protocol):
    view: View

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        """Apply the batch and move the view from ``expected`` to the batch's last position, atomically.

        Raises ProjectionRaced, writing nothing, when the view is no longer at ``expected``.
        """
        ...


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class UnknownProjection(LookupError):
    pass


class ProjectionRunner:
    def __init__(
        self,
        store: EventStore,
        projectors: Sequence[Projector],
        batch_size: int = 2_000,
        poll_interval: float = 0.25,
        gather: float = 0.01,
    ) -> None:
        self._store = store
        self._projectors = {p.view.name: p for p in projectors}
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._gather = gather
        self._positions: dict[str, int] = {}  # what each view was at after our last write; checked by every write
        self._wake = asyncio.Event()
        self._advanced = asyncio.Condition()

    @property
    def names(self) -> list[str]:
        return list(self._projectors)

    def projector(self, name: str) -> Projector:
        try:
            return self._projectors[name]
        except KeyError:
            raise UnknownProjection(f"no view named {name!r}; known: {', '.join(self._projectors)}") from None

    def wake(self, head: int = 0) -> None:
        """New events were appended: catch up now rather than at the next poll."""
        self._wake.set()

    async def catch_up(self, name: str | None = None) -> None:
        """Project every event stored so far into one view, or into all, reading the log once per batch."""
        projectors = [self.projector(name)] if name else list(self._projectors.values())
        for projector in projectors:
            self._positions[projector.view.name] = await projector.view.position()
        while True:
            start = min(self._positions[p.view.name] for p in projectors)
            batch = await self._store.read_log(start, self._batch_size)
            if not batch:
                return
            for projector in projectors:
                await self._project(projector, batch)
            async with self._advanced:
                self._advanced.notify_all()

    async def rebuild(self, name: str | None = None) -> None:
        """Empty the view (or all views) and replay the whole log into it."""
        for view_name in [name] if name else self.names:
            await self.projector(view_name).view.reset()
            await self.catch_up(view_name)

    async def status(self) -> list[ProjectionStatus]:
        head = await self._store.head()
        return [ProjectionStatus(n, await p.view.position(), head) for n, p in self._projectors.items()]

    async def wait_for(self, name: str, position: int, timeout: float) -> bool:
        """Wait until the view has reached ``position``; False if it has not within ``timeout`` seconds."""
        view = self.projector(name).view
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.wake()
        while (current := await view.position()) < position:
            remaining = deadline - loop.time()
            if remaining <= 0:
                log.info("view %s at %d did not reach %d in %.1fs", name, current, position, timeout)
                return False
            async with self._advanced:
                try:
                    await asyncio.wait_for(self._advanced.wait(), min(remaining, self._poll_interval))
                except TimeoutError:
                    pass
        return True

    async def run(self) -> None:
        """Keep every view caught up until cancelled; a failing view is retried, never fatal."""
        failures = 0
        while True:
            self._wake.clear()
            try:
                await self.catch_up()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("projection failed; retrying")
            delay = min(self._poll_interval * 2**failures, 10.0) if failures else self._poll_interval
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                await asyncio.sleep(self._gather)  # let a burst of appends arrive: one batch instead of many
            except TimeoutError:
                pass

    async def _project(self, projector: Projector, batch: Sequence[Recorded]) -> None:
        name = projector.view.name
        expected = self._positions[name]
        mine = [r for r in batch if r.position > expected] if batch[0].position <= expected else batch
        if not mine:
            return
        try:
            await projector.project(mine, expected)
            self._positions[name] = mine[-1].position
        except ProjectionRaced:
            log.debug("view %s moved past %d elsewhere", name, expected)
            self._positions[name] = await projector.view.position()
