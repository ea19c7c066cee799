"""Feeds the global log to every projector, batch by batch, exactly once per view.

Each batch is written with the view's new position in one transaction, on
the condition that the position is still the one the batch started from;
so a crash resumes where the last commit left off, and two processes (or a
rebuild beside a live server) never apply one event twice: the loser of a
race writes nothing and reads its position again.

Each view goes forward on its own: one that cannot write (its database
busy or gone) stays behind and is tried again later with a growing pause,
while the others go on. A batch a view keeps refusing is
split (see dead_letters.py) until the one event it cannot apply is found;
that event is set aside as a dead letter and the view moves past it, so a
poison event never stops the read side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import partial
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from application.ports import Clock, DeadLetter, EventStore, Recorded, View
from application.projections.dead_letters import PoisonSeparator, Raced

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
    dead_letters: tuple[int, ...] = ()  # positions of the events the view set aside

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


@dataclass(frozen=True, slots=True)
class ViewStanding:
    """What this process last knew of a view, without asking the database: for metrics."""

    name: str
    position: int
    dead_letters: int
    failing: bool  # its last attempt to go forward failed; it is waiting to try again


class UnknownProjection(LookupError):
    pass


class ProjectionsBehind(Exception):
    """Some views could not be brought forward (their database refused); the others were."""

    def __init__(self, errors: dict[str, Exception]) -> None:
        super().__init__("; ".join(f"{name}: {type(e).__name__}: {e}" for name, e in errors.items()))
        self.errors = errors


class _WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(slots=True, eq=False)
class _Lane:
    """One view's way through the log."""

    projector: Projector
    position: int = 0  # what the view was at after our last read or write; checked by every write
    dead_letters: int = 0
    failures: int = 0  # passes in a row that failed
    resume_at: float = 0.0  # loop time before which run() does not try this view again

    @property
    def name(self) -> str:
        return self.projector.view.name


class ProjectionRunner:
    def __init__(
        self,
        store: EventStore,
        projectors: Sequence[Projector],
        batch_size: int = 2_000,
        poll_interval: float = 0.25,
        gather: float = 0.01,
        *,
        clock: Clock | None = None,
        attempts: int = 3,
        retry_delay: float = 0.05,
        alert: bool = True,
    ) -> None:
        """``attempts`` tries (``retry_delay`` apart, doubling) before a failing batch is split and a poison
        event set aside; ``alert`` False logs a set-aside event as a warning (a scratch replay's, not a live view's)."""
        self._store = store
        self._lanes = {p.view.name: _Lane(p) for p in projectors}
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._gather = gather
        self._clock = clock or _WallClock()
        self._attempts = max(attempts, 1)
        self._retry_delay = retry_delay
        self._alert = alert
        self._wake = asyncio.Event()
        self._hurry = asyncio.Event()
        self._advanced = asyncio.Condition()

    @property
    def names(self) -> list[str]:
        return list(self._lanes)

    def projector(self, name: str) -> Projector:
        return self._lane(name).projector

    def wake(self, head: int = 0) -> None:
        """New events were appended: catch up within ``gather`` (appends that follow share the batch), not at the
        next poll."""
        self._wake.set()

    def hurry(self) -> None:
        """A reader waits for a view: catch up now."""
        self._hurry.set()
        self._wake.set()

    async def catch_up(self, name: str | None = None, until: int | None = None) -> None:
        """Project every event stored so far (or up to ``until``) into one view, or into all.

        The log is read once per batch for every view. A poison event is set aside and passed; a view whose
        database keeps refusing is left behind while the others go on, then ProjectionsBehind names it.
        """
        lanes = [self._lane(name)] if name else list(self._lanes.values())
        errors = await self._advance(lanes, until)
        if errors:
            raise ProjectionsBehind(errors)

    async def rebuild(self, name: str | None = None) -> None:
        """Empty the view (or all views), forget its dead letters, and replay the whole log into it.

        Every event set aside before is tried again, in log order: the way to retry dead letters after a fix.
        """
        for view_name in [name] if name else self.names:
            await self.projector(view_name).view.reset()
            await self.catch_up(view_name)

    async def status(self) -> list[ProjectionStatus]:
        head = await self._store.head()
        found = []
        for name, lane in self._lanes.items():
            view = lane.projector.view
            letters = tuple(d.position for d in await view.dead_letters())
            found.append(ProjectionStatus(name, await view.position(), head, letters))
        return found

    async def dead_letters(self, name: str | None = None) -> list[DeadLetter]:
        names = [name] if name else self.names
        return [letter for n in names for letter in await self.projector(n).view.dead_letters()]

    def standing(self) -> list[ViewStanding]:
        return [ViewStanding(n, lane.position, lane.dead_letters, lane.failures > 0) for n, lane in self._lanes.items()]

    async def wait_for(self, name: str, position: int, timeout: float) -> bool:
        """Wait until the view has reached ``position``; False if it has not within ``timeout`` seconds."""
        lane = self._lane(name)
        view = lane.projector.view
        if lane.position >= position:
            return True  # this runner saw the view there, and views only move forward (a rebuild reads it all again)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.hurry()
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
        """Keep every view caught up until cancelled; a failing view waits longer each time, never fatal."""
        loop = asyncio.get_running_loop()
        failures = 0  # passes in a row that could not read the log
        while True:
            self._wake.clear()
            now = loop.time()
            try:
                errors = await self._advance([lane for lane in self._lanes.values() if lane.resume_at <= now], None)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                errors = {}
                log.exception("projection failed; retrying")
            for name, error in errors.items():
                lane = self._lanes[name]
                pause = self._pause(lane.failures)
                lane.resume_at = loop.time() + pause
                log.warning("view %s is behind at %d; trying again in %.1fs", name, lane.position, pause, exc_info=error)
            delay = self._pause(failures) if failures else self._poll_interval
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                await asyncio.wait_for(self._hurry.wait(), self._gather)  # appends gather into one batch
            except TimeoutError:
                pass
            self._hurry.clear()

    def _pause(self, failures: int) -> float:
        return min(self._poll_interval * 2**failures, 10.0)

    def _lane(self, name: str) -> _Lane:
        try:
            return self._lanes[name]
        except KeyError:
            raise UnknownProjection(f"no view named {name!r}; known: {', '.join(self._lanes)}") from None

    async def _advance(self, lanes: list[_Lane], until: int | None) -> dict[str, Exception]:
        """Bring the lanes forward together; the errors of those left behind, by view."""
        errors: dict[str, Exception] = {}
        for lane in lanes:
            try:
                await self._read(lane)
            except Exception as error:  # its database did not answer: the others may still go on
                errors[lane.name] = error
        active = [lane for lane in lanes if lane.name not in errors and (until is None or lane.position < until)]
        while active:
            start = min(lane.position for lane in active)
            limit = self._batch_size if until is None else min(self._batch_size, until - start)
            batch = await self._store.read_log(start, limit)
            if not batch:
                break
            for lane in active:  # one after another: SQLite has one writer, and side by side measured slower there
                if (error := await self._project(lane, batch)) is not None:
                    errors[lane.name] = error
            active = [
                lane for lane in active if lane.name not in errors and (until is None or lane.position < until)
            ]
            async with self._advanced:
                self._advanced.notify_all()
        for lane in lanes:
            lane.failures = lane.failures + 1 if lane.name in errors else 0
        return errors

    async def _read(self, lane: _Lane) -> None:
        progress = await lane.projector.view.progress()
        lane.position, lane.dead_letters = progress.position, progress.dead_letters

    async def _project(self, lane: _Lane, batch: Sequence[Recorded]) -> Exception | None:
        """Apply the lane's part of the batch; the error when the view could not be brought past it."""
        mine = [r for r in batch if r.position > lane.position] if batch[0].position <= lane.position else batch
        if not mine:
            return None
        separator = PoisonSeparator(
            lane.projector, lane.position, self._clock, self._attempts, self._retry_delay, partial(self._alert_set_aside, lane)
        )
        try:
            await separator.apply(mine)
        except Raced as raced:
            log.debug("view %s moved past %d elsewhere", lane.name, raced.expected)
            try:
                await self._read(lane)
            except Exception as error:
                return error
            return None
        except Exception as error:  # the view stays where our last write left it (CancelledError passes)
            lane.position = separator.position
            return error
        lane.position = separator.position
        return None

    def _alert_set_aside(self, lane: _Lane, letter: DeadLetter) -> None:
        """Count it for the metrics and say so in one line; the line carries the error's first line only (a
        database error goes on with the statement and its values: those stay in the dead letter)."""
        lane.dead_letters += 1
        log.log(
            logging.ERROR if self._alert else logging.WARNING,
            "dead letter: view %s set aside the event at position %d (%s, stream %s version %d) after %d attempts: "
            "%s (peoplecoin projections dead-letters %s)",
            letter.view, letter.position, letter.topic, letter.stream_id, letter.stream_version, letter.attempts,
            letter.error.partition("\n")[0], letter.view,
            extra={"alert": "dead_letter", "view": letter.view, "position": letter.position},
        )
