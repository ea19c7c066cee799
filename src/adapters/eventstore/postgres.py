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

from adapters.eventstore.recorder import RecorderEventStore


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

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        ids = [s.originator_id for s in stored_events]
        versions = [s.originator_version for s in stored_events]
        curs.execute(self._clash_statement, (ids, versions), prepare=True, binary=True)
        if curs.fetchone() is not None:
            raise IntegrityError("an event at one of these stream versions is already stored")
        self._notify_channel(curs)
        curs.execute(
            self._insert_statement,
            (ids, versions, [s.topic for s in stored_events], [s.state for s in stored_events]),
            prepare=True,
            binary=True,
        )


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
