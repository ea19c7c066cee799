"""The embedded event store: the library's SQLite recorder on one file, WAL mode, fsync on commit."""

from pathlib import Path

from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from adapters.eventstore.recorder import RecorderEventStore


class SqliteEventStore(RecorderEventStore):
    def __init__(self, path: Path | str) -> None:
        datastore = SQLiteDatastore(str(path), lock_timeout=30)
        recorder = SQLiteApplicationRecorder(datastore)
        recorder.create_table()
        super().__init__(recorder, on_close=datastore.close)
