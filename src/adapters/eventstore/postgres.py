"""The production event store: the library's PostgreSQL recorder (psycopg 3).

The library serialises appends with a table lock, so positions are handed out
in commit order and a reader tailing the log never passes over an event
committed later. It finds a duplicate (stream, version) only when the insert
fails, and by then the position sequence has moved on: a refused append
would leave a hole in the numbering. We check for the clash first, under
that same lock, so a refused append takes no position and the log stays
1, 2, 3, ... without gaps.

The rows go over as four plain arrays rather than the library's array of a
composite type: psycopg dumps composites as escaped text, row by row, which
cost about 150 µs an event; arrays of uuid, bigint, text and bytea go in
binary.

The engine's fence and snapshots live in two tables beside the events. The
fence is raised under the events table's lock, and a fenced append reads it
after taking that lock: an append of an engine that has lost its lease
either committed before the new writer's claim (and is in the log the new
writer reads) or is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from adapters.eventstore.recorder import RecorderEventStore, check_fence


class GaplessPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore)
        names = {"schema": Identifier(datastore.schema), "table": Identifier(self.events_table_name)}
        self._clash_statement = SQL(
            "SELECT 1 FROM {schema}.{table} t "
            "JOIN unnest(%s::uuid[], %s::bigint[]) AS n(originator_id, originator_version) "
            "ON t.originator_id = n.originator_id AND t.originator_version = n.originator_version "
            "LIMIT 1"
        ).format(**names)
        self._insert_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) "
            "RETURNING notification_id"
        ).format(**names)
        schema = Identifier(datastore.schema)
        self._engine_tables = [
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.engine_fence "
                "(id integer PRIMARY KEY CHECK (id = 1), epoch bigint NOT NULL)"
            ).format(schema=schema),
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.engine_snapshots (position bigint PRIMARY KEY, state bytea NOT NULL)"
            ).format(schema=schema),
        ]
        self._epoch_statement = SQL("SELECT epoch FROM {schema}.engine_fence WHERE id = 1").format(schema=schema)
        self._claim_statement = SQL(
            "INSERT INTO {schema}.engine_fence (id, epoch) VALUES (1, 1) "
            "ON CONFLICT (id) DO UPDATE SET epoch = engine_fence.epoch + 1 RETURNING epoch"
        ).format(schema=schema)
        self._save_snapshot = SQL(
            "INSERT INTO {schema}.engine_snapshots (position, state) VALUES (%s, %s) "
            "ON CONFLICT (position) DO UPDATE SET state = excluded.state"
        ).format(schema=schema)
        self._prune_snapshots = SQL(
            "DELETE FROM {schema}.engine_snapshots WHERE position NOT IN "
            "(SELECT position FROM {schema}.engine_snapshots ORDER BY position DESC LIMIT %s)"
        ).format(schema=schema)
        self._latest_snapshot = SQL(
            "SELECT position, state FROM {schema}.engine_snapshots ORDER BY position DESC LIMIT 1"
        ).format(schema=schema)

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            for statement in self._engine_tables:
                curs.execute(statement)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        ids = [s.originator_id for s in stored_events]
        versions = [s.originator_version for s in stored_events]
        curs.execute(self._clash_statement, (ids, versions), prepare=True, binary=True)
        if curs.fetchone() is not None:
            raise IntegrityError("an event at one of these stream versions is already stored")
        if kwargs.get("fence") is not None:
            check_fence(self._epoch(curs), kwargs["fence"])
        self._notify_channel(curs)
        curs.execute(
            self._insert_statement,
            (ids, versions, [s.topic for s in stored_events], [s.state for s in stored_events]),
            prepare=True,
            binary=True,
        )


    def _epoch(self, curs: Cursor[DictRow]) -> int:
        curs.execute(self._epoch_statement)
        row = curs.fetchone()
        return int(row["epoch"]) if row else 0

    def claim_writer(self) -> int:
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            curs.execute(self._claim_statement)
            row = curs.fetchone()
            assert row is not None
            return int(row["epoch"])

    def save_snapshot(self, position: int, data: bytes, keep: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._save_snapshot, (position, data))
            curs.execute(self._prune_snapshots, (keep,))

    def latest_snapshot(self) -> tuple[int, bytes] | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._latest_snapshot)
            row = curs.fetchone()
        return (int(row["position"]), bytes(row["state"])) if row else None


def datastore_from_url(url: str, pool_size: int = 4) -> PostgresDatastore:
    """A datastore for ``postgresql://user:password@host:port/dbname``."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return PostgresDatastore(
        dbname=unquote(parts.path.lstrip("/")) or "postgres",
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        pool_size=pool_size,
        max_overflow=pool_size,
        lock_timeout=30,
        pre_ping=True,
    )


class PostgresEventStore(RecorderEventStore):
    def __init__(self, url: str) -> None:
        datastore = datastore_from_url(url)
        recorder = GaplessPostgresRecorder(datastore)
        recorder.create_table()
        super().__init__(recorder, on_close=datastore.close)
