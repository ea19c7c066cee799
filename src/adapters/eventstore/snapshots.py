"""The snapshot store port over our recorders: a snapshot is msgspec JSON of the committed market, typed.

A snapshot is a cache of the log, never the truth: one written by another
version of the code (another format, or a shape that no longer decodes) is
skipped with a warning, and recovery replays the log from further back.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec

from adapters.eventstore.recorder import KEEP_SNAPSHOTS, EngineRecorder, RecorderEventStore
from application.live.market import SNAPSHOT_FORMAT, Snapshot

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Snapshot)


def encode_snapshot(snapshot: Snapshot) -> bytes:
    return _encoder.encode(snapshot)


def decode_snapshot(data: bytes) -> Snapshot | None:
    try:
        snapshot = _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        log.warning("a stored snapshot does not decode (%s): recovery replays the log instead", error)
        return None
    if snapshot.format != SNAPSHOT_FORMAT:
        log.warning("a stored snapshot has format %d, this code reads %d: ignored", snapshot.format, SNAPSHOT_FORMAT)
        return None
    return snapshot


class RecorderSnapshots:
    def __init__(self, store: RecorderEventStore, keep: int = KEEP_SNAPSHOTS) -> None:
        self._recorder: EngineRecorder = store.recorder  # type: ignore[assignment]
        self._keep = keep

    async def save(self, snapshot: Snapshot) -> None:
        data = await asyncio.to_thread(encode_snapshot, snapshot)
        await asyncio.to_thread(self._recorder.save_snapshot, snapshot.position, data, self._keep)

    async def latest(self) -> Snapshot | None:
        found = await asyncio.to_thread(self._recorder.latest_snapshot)
        if found is None:
            return None
        return await asyncio.to_thread(decode_snapshot, found[1])
