"""``peoplecoin audit``: checks that what the system shows agrees with what it recorded.

An audit is a list of checks; each returns the differences it found, none
when it holds. The command runs them all, in order, and fails when any
found one. To add a check (conservation of money, holds against open
orders, ...), write a class with a ``name`` and ``async run() ->
CheckResult`` and list it in ``entrypoints/container.py:audit_checks``.

The first check here: every view equals a fresh replay of the whole log
into a scratch database, compared table by table, row by row, at the very
position the live view is at (read in one snapshot, so a server writing
beside the audit changes nothing it compares).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from application.projections.runner import ProjectionRunner, ProjectionsBehind

MAX_DIFFERENCES = 100  # kept per check: enough to see a pattern, not the whole database


@dataclass(frozen=True, slots=True)
class Difference:
    where: str  # what differs: for a view, its name, table and row key
    found: str
    expected: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    summary: str  # what was checked, in a line
    differences: list[Difference] = field(default_factory=list)
    found_label: str = "found"
    expected_label: str = "expected"


class AuditCheck(Protocol):
    name: str

    async def run(self) -> CheckResult: ...


async def run_audit(checks: Sequence[AuditCheck]) -> list[CheckResult]:
    return [await check.run() for check in checks]


# ----- every view equals a fresh replay -----

Key = tuple[object, ...]
Row = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ViewContents:
    """A view at one moment, in plain values (text, numbers, booleans, None) that compare across databases."""

    position: int
    tables: Mapping[str, Mapping[Key, Row]]  # table → primary key → row
    dead_letters: tuple[int, ...]  # positions set aside


class ViewReader(Protocol):
    async def read(self) -> dict[str, ViewContents]:
        """Every view's position, rows and dead letters, read in one snapshot."""
        ...


@dataclass(frozen=True, slots=True)
class Replay:
    """Fresh, empty views in a scratch database, with a runner that feeds them from the live log."""

    runner: ProjectionRunner
    reader: ViewReader
    where: str  # what the scratch database is, for the summary


class ViewsMatchReplay:
    name = "views equal a fresh replay"

    def __init__(
        self, live: ProjectionRunner, reader: ViewReader, replay: Callable[[], AbstractAsyncContextManager[Replay]]
    ) -> None:
        self._live, self._reader, self._replay = live, reader, replay

    async def run(self) -> CheckResult:
        try:
            await self._live.catch_up()
        except ProjectionsBehind:
            pass  # a view that cannot go on is compared where it stands, like every other
        live = await self._reader.read()
        async with self._replay() as replay:
            low = min(contents.position for contents in live.values())
            await replay.runner.catch_up(until=low)  # the log read once for all views, then each to its own position
            for name, contents in live.items():
                await replay.runner.catch_up(name, until=contents.position)
            fresh = await replay.reader.read()
        differences = [d for name in sorted(live) for d in compare_view(name, live[name], fresh[name])]
        rows = sum(len(rows) for contents in live.values() for rows in contents.tables.values())
        positions = sorted({contents.position for contents in live.values()})
        at = f"position {positions[0]}" if len(positions) == 1 else f"positions {positions[0]}–{positions[-1]}"
        summary = f"{len(live)} views, {rows} rows at {at}, replayed in {replay.where}"
        return CheckResult(self.name, summary, differences[:MAX_DIFFERENCES], "live", "replay")


def compare_view(name: str, live: ViewContents, fresh: ViewContents) -> list[Difference]:
    found: list[Difference] = []
    if live.position != fresh.position:
        found.append(Difference(f"view {name}: position", str(live.position), str(fresh.position)))
    if live.dead_letters != fresh.dead_letters:
        found.append(
            Difference(f"view {name}: dead letters at", _positions(live.dead_letters), _positions(fresh.dead_letters))
        )
    for table in sorted(set(live.tables) | set(fresh.tables)):
        ours, theirs = live.tables.get(table, {}), fresh.tables.get(table, {})
        for key in _sorted(set(ours) | set(theirs)):
            if ours.get(key) != theirs.get(key):
                found.append(
                    Difference(f"view {name}, table {table}, key {_key(key)}", _row(ours.get(key)), _row(theirs.get(key)))
                )
    return found


def _sorted(keys: set[Key]) -> list[Key]:
    try:
        return sorted(keys)  # type: ignore[type-var]
    except TypeError:
        return sorted(keys, key=repr)


def _key(key: Key) -> str:
    return ", ".join(str(part) for part in key)


def _row(row: Row | None) -> str:
    return "no row" if row is None else ", ".join(f"{column}={value!r}" for column, value in row.items())


def _positions(positions: tuple[int, ...]) -> str:
    return ", ".join(map(str, positions)) or "none"
