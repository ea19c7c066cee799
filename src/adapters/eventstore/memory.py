"""The in-memory event store, for unit tests: the library's plain-Python recorder."""

from eventsourcing.popo import POPOApplicationRecorder

from adapters.eventstore.recorder import RecorderEventStore


class InMemoryEventStore(RecorderEventStore):
    def __init__(self) -> None:
        super().__init__(POPOApplicationRecorder())
