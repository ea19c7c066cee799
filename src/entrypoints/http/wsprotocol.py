"""WebSocket messages framed once, and written to a connection in one write per batch, below ASGI's per-message path.

ASGI sends one message per ``websocket.send`` event: an await, the server's
framing and a write (a system call) per message per connection. The live
feed sends the same update to thousands of connections, so it frames each
update once (a server's frames are not masked, and per-message compression
is off: the bytes are the same for every client) and hands a connection all
it has waiting in one write.

``FramedWebSocketProtocol`` is uvicorn's sans-I/O WebSocket protocol with one
addition: the ASGI scope's extension ``peoplecoin.websocket.frames`` gives
the application ``write`` (ready-made frames, written at once; False once the
connection is closing, nothing written) and ``writable`` (the event uvicorn
clears while the socket's send buffer is over its high-water mark). Whole
frames written between the protocol's own frames keep the stream valid: the
server never fragments a message. Under another server the extension is
absent and the application sends through ASGI as usual.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

FRAMES = "peoplecoin.websocket.frames"


def text_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented text frame (server to client), by the websockets library's own framing."""
    return Frame(Opcode.TEXT, payload).serialize(mask=False)


class OutgoingMessage:
    """A text message for a WebSocket client: its UTF-8 text, framed on first use and kept (one update, many
    connections). ``key`` and ``sequence`` name the feed channel and update it belongs to (``""``/0 for a
    connection's own replies)."""

    __slots__ = ("key", "sequence", "text", "_frame")

    def __init__(self, text: bytes, key: str = "", sequence: int = 0) -> None:
        self.text, self.key, self.sequence = text, key, sequence
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame(self.text)
        return self._frame


class FramedWebSocketProtocol(WebSocketsSansIOProtocol):
    async def run_asgi(self) -> None:
        self.scope["extensions"][FRAMES] = {"write": self.write_frames, "writable": self.writable}  # type: ignore[index]
        await super().run_asgi()

    def write_frames(self, frames: bytes) -> bool:
        """Write whole frames now; False (nothing written) once the connection is closing or gone."""
        if self.disconnected or self.close_sent or self.conn.state is not State.OPEN or self.transport.is_closing():
            return False
        self.transport.write(frames)
        return True
