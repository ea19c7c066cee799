"""The in-memory event store, for unit tests: the library's plain-Python recorder, with a fence and snapshots."""

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from adapters.eventstore.recorder import RecorderEventStore, check_fence


class FencedPOPORecorder(POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._fence = 0
        self._snapshots: list[tuple[int, bytes]] = []

    def _insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        with self._database_lock:
            check_fence(self._fence, kwargs.get("fence"))
            return super()._insert_events(stored_events, **kwargs)

    def claim_writer(self) -> int:
        with self._database_lock:
            self._fence += 1
            return self._fence

    def save_snapshot(self, position: int, data: bytes, keep: int) -> None:
        with self._database_lock:
            self._snapshots = sorted([*[s for s in self._snapshots if s[0] != position], (position, data)])[-keep:]

    def latest_snapshot(self) -> tuple[int, bytes] | None:
        with self._database_lock:
            return self._snapshots[-1] if self._snapshots else None


class InMemoryEventStore(RecorderEventStore):
    def __init__(self) -> None:
        super().__init__(FencedPOPORecorder())
