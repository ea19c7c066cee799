"""A WebSocket connection's bounded queue: a client that cannot keep up is marked for closing, nobody waits."""

from __future__ import annotations

from typing import Any

from entrypoints.http.ws import OUTGOING, Connection


def connection(limit: tuple[int, float] | None = None) -> Connection:
    nothing: Any = None
    return Connection(nothing, nothing, nothing, limit)


async def test_a_full_queue_marks_the_client_too_slow_without_blocking_the_sender() -> None:
    slow = connection()
    for i in range(OUTGOING):
        slow.send(f"message {i}")
    assert not slow.too_slow.is_set()
    slow.send("one too many")
    assert slow.too_slow.is_set()
    assert slow.outgoing.qsize() == OUTGOING


async def test_messages_beyond_the_rate_limit_are_refused_with_an_error() -> None:
    limited = connection(limit=(2, 60.0))
    for _ in range(3):
        await limited.handle('{"op": "ping"}')
    sent = [limited.outgoing.get_nowait() for _ in range(limited.outgoing.qsize())]
    assert sent[:2] == ['{"type":"pong"}', '{"type":"pong"}']
    assert '"code":"rate_limited"' in sent[2]
