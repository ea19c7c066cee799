"""Domain events to and from the recorders' ``StoredEvent`` rows, encoded by msgspec.

The topic is the event class's path (``module:QualName``): never rename or
move an event class; add a field with a default, or a new event.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic

from domain.shared.aggregate import DomainEvent


class MsgspecTranscoder(Transcoder):
    """JSON through msgspec: UUIDs, datetimes and dataclasses without registrations."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> Any:
        return msgspec.json.decode(data)


class EventMapper(Mapper[UUID]):
    """Our frozen, slotted event dataclasses, whole, as the stored state.

    The library's own mapping reads ``vars(event)``, which slotted classes do
    not have, so both directions are ours; decoding is typed per topic.
    """

    def __init__(self) -> None:
        super().__init__(transcoder=MsgspecTranscoder())
        self._decoders: dict[str, msgspec.json.Decoder[DomainEvent]] = {}

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=self.transcoder.encode(domain_event),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        decoder = self._decoders.get(stored_event.topic)
        if decoder is None:
            decoder = msgspec.json.Decoder(resolve_topic(stored_event.topic))
            self._decoders[stored_event.topic] = decoder
        return decoder.decode(stored_event.state)
