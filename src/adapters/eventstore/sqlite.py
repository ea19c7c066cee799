"""The embedded event store: the library's SQLite recorder on one file, WAL mode, fsync on commit; with the
engine's fence and snapshots in two tables of the same file."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from adapters.eventstore.recorder import RecorderEventStore, check_fence


class FencedSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS engine_fence (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS engine_snapshots (position INTEGER PRIMARY KEY, state BLOB NOT NULL)",
        ]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if kwargs.get("fence") is not None:
            # after the insert: this transaction holds the write lock, so it reads the newest epoch
            check_fence(self._epoch(c), kwargs["fence"])
        return ids

    @staticmethod
    def _epoch(c: Any) -> int:
        c.execute("SELECT epoch FROM engine_fence WHERE id = 1")
        row = c.fetchone()
        return int(row[0]) if row else 0

    def claim_writer(self) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT INTO engine_fence (id, epoch) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET epoch = epoch + 1"
            )
            return self._epoch(c)

    def save_snapshot(self, position: int, data: bytes, keep: int) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT OR REPLACE INTO engine_snapshots (position, state) VALUES (?, ?)", (position, data))
            c.execute(
                "DELETE FROM engine_snapshots WHERE position NOT IN "
                "(SELECT position FROM engine_snapshots ORDER BY position DESC LIMIT ?)",
                (keep,),
            )

    def latest_snapshot(self) -> tuple[int, bytes] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position, state FROM engine_snapshots ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
        return (int(row[0]), bytes(row[1])) if row else None


class SqliteEventStore(RecorderEventStore):
    def __init__(self, path: Path | str) -> None:
        datastore = SQLiteDatastore(str(path), lock_timeout=30)
        recorder = FencedSQLiteRecorder(datastore)
        recorder.create_table()
        super().__init__(recorder, on_close=datastore.close)
