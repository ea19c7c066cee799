"""Poison events: find the one event a view cannot apply, set it aside, and apply the others exactly once.

A batch that fails is tried again a few times, a little later each time: a
dropped connection or a lock heals so. ViewUnavailable (the adapter's word
for "the database, not the events") is never a reason to set anything aside;
after the last try it goes up and the view waits. A batch that still fails
is cut in halves, each tried once: a half that applies is written (rows and
position together, as always); a half that fails is cut again, down to one
event. That event is tried alone a few more times; if it still fails, it is
stored as a dead letter and the view's position moves past it in the same
transaction. Then the rest of the batch goes on. Splitting a batch changes
nothing a view shows: batch boundaries are arbitrary already.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from application.ports import Clock, DeadLetter, ProjectionRaced, Recorded, ViewUnavailable

if TYPE_CHECKING:
    from application.projections.runner import Projector

MAX_ERROR_TEXT = 2_000


class Raced(Exception):
    """Another process moved the view past ``expected``; this one stops and writes nothing more."""

    def __init__(self, expected: int) -> None:
        super().__init__(f"the view is no longer at {expected}")
        self.expected = expected


@dataclass(frozen=True, slots=True)
class _Failure:
    error: Exception
    first_at: datetime
    attempts: int  # failed applications that held the event(s)


class PoisonSeparator:
    """Applies one view's batch, setting aside the events it cannot apply; ``position`` is where the view is."""

    def __init__(
        self,
        projector: Projector,
        position: int,
        clock: Clock,
        attempts: int,
        retry_delay: float,
        on_set_aside: Callable[[DeadLetter], None],
    ) -> None:
        self.position = position
        self._projector = projector
        self._clock = clock
        self._attempts = attempts
        self._retry_delay = retry_delay
        self._on_set_aside = on_set_aside

    async def apply(self, events: Sequence[Recorded]) -> None:
        """All of ``events`` applied or set aside, in order; raises Raced, or ViewUnavailable (nothing set aside)."""
        failure = await self._attempt(events, self._attempts, None)
        if failure is None:
            return
        if len(events) == 1:
            await self._set_aside(events[0], failure)
        else:
            await self._separate(events, failure)

    async def _separate(self, events: Sequence[Recorded], failure: _Failure) -> None:
        """``events`` failed together: apply what applies, set aside what does not."""
        if len(events) == 1:
            alone = await self._attempt(events, self._attempts, failure)
            if alone is not None:
                await self._set_aside(events[0], alone)
            return
        middle = len(events) // 2
        for part in (events[:middle], events[middle:]):
            found = await self._attempt(part, 1, failure)
            if found is not None:
                await self._separate(part, found)

    async def _attempt(self, events: Sequence[Recorded], tries: int, failure: _Failure | None) -> _Failure | None:
        """None once applied; else the failure after ``tries`` tries, counted on from ``failure``."""
        for n in range(tries):
            if n:
                await asyncio.sleep(self._retry_delay * 2 ** (n - 1))
            try:
                await self._projector.project(events, self.position)
            except ProjectionRaced as raced:
                raise Raced(self.position) from raced
            except Exception as error:
                if failure is None:
                    failure = _Failure(error, self._clock.now(), 1)
                else:
                    failure = replace(failure, error=error, attempts=failure.attempts + 1)
                continue
            self.position = events[-1].position
            return None
        assert failure is not None
        if isinstance(failure.error, ViewUnavailable):
            raise failure.error
        return failure

    async def _set_aside(self, recorded: Recorded, failure: _Failure) -> None:
        event = recorded.event
        letter = DeadLetter(
            view=self._projector.view.name,
            position=recorded.position,
            topic=topic_of(event),
            stream_id=event.originator_id,
            stream_version=event.originator_version,
            error=describe(failure.error),
            first_failed_at=failure.first_at,
            last_failed_at=self._clock.now(),
            attempts=failure.attempts,
        )
        try:
            await self._projector.view.set_aside(self.position, letter)
        except ProjectionRaced as raced:
            raise Raced(self.position) from raced
        self.position = recorded.position
        self._on_set_aside(letter)


def topic_of(event: object) -> str:
    """The event's stored topic: its class path (what the event store's mapper writes)."""
    cls = type(event)
    return f"{cls.__module__}:{cls.__qualname__}"


def describe(error: BaseException) -> str:
    """The error as text any database and terminal takes: control characters escaped, cut to a readable length."""
    text = f"{type(error).__name__}: {error}"
    safe = "".join(c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode("ascii") for c in text)
    return safe if len(safe) <= MAX_ERROR_TEXT else safe[: MAX_ERROR_TEXT - 1] + "…"
