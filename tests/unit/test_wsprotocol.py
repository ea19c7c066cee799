"""FramedWebSocketProtocol under a real uvicorn and a real WebSocket client: frames written in one write arrive as
separate messages, between ASGI's own sends, and nothing is written once the close is sent."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from entrypoints.http.wsprotocol import FRAMES, FramedWebSocketProtocol, OutgoingMessage, text_frame


class App:
    """Accepts, sends one message through ASGI, three in one write through the extension, then closes."""

    def __init__(self) -> None:
        self.written: list[bool] = []
        self.extensions: dict[str, Any] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        self.extensions = scope["extensions"]
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        extension = scope["extensions"][FRAMES]
        await send({"type": "websocket.send", "text": "through asgi"})
        self.written.append(extension["write"](b"".join(text_frame(t.encode()) for t in ("one", "two", "três"))))
        await send({"type": "websocket.send", "text": "asgi again"})
        await send({"type": "websocket.close", "code": 4000, "reason": "done"})
        self.written.append(extension["write"](text_frame(b"after the close")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serving(app: App, ws: Any) -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws=ws, log_config=None, lifespan="off")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def test_frames_written_at_once_arrive_as_messages_in_order_and_nothing_after_the_close() -> None:
    app = App()
    async with serving(app, FramedWebSocketProtocol) as port:
        async with connect(f"ws://127.0.0.1:{port}/") as client:
            got = []
            with contextlib.suppress(ConnectionClosed):
                while True:
                    got.append(await client.recv())
            assert client.close_code == 4000
    assert got == ["through asgi", "one", "two", "três", "asgi again"]
    assert app.written == [True, False]


async def test_under_the_stock_protocol_the_extension_is_absent() -> None:
    app = App()
    async with serving(app, "websockets-sansio") as port:
        async with connect(f"ws://127.0.0.1:{port}/") as client:
            await client.wait_closed()
    assert FRAMES not in app.extensions and app.written == []


def test_a_message_is_framed_once_and_kept() -> None:
    message = OutgoingMessage(b'{"a":1}', "trades:x", 7)
    assert message.frame == b"\x81\x07" + b'{"a":1}'
    assert message.frame is message.frame
    long = OutgoingMessage(b"x" * 300)
    assert long.frame[:4] == b"\x81\x7e\x01\x2c" and len(long.frame) == 304
