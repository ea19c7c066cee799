"""Request bodies are bounded before anything decodes them: in size, and in how deep JSON nests.

msgspec decodes nested arrays and objects recursively, so a body of a
thousand ``[`` was a RecursionError and a 500 on every route that takes one.
This middleware reads the body of each route that takes one (``data``)
once, up front (it has to be read whole anyway before it is decoded), refuses one past ``MAX_BODY_BYTES`` with ``413
payload_too_large`` without buffering the rest, refuses JSON nested deeper
than ``MAX_JSON_DEPTH`` with ``400 json_too_deep``, and hands the same bytes
on. Litestar's own ``request_max_body_size`` is set to the same limit for the
routes that read a body some other way.

Uploads (routes marked ``opt=UPLOAD``) with a ``multipart/form-data`` body
have a cap of their own, ``upload_max_bytes`` plus ``MULTIPART_SLACK`` for
the boundaries and part headers around the file, answered ``413
file_too_large``; their body is counted as it streams to the handler, never
buffered here. Any other body sent to such a route is held to the rules above.

Depth is counted on the raw bytes: strings are cut out first (escape-aware,
so ``"\\"["`` is one string, not a bracket), then the brackets left are
summed as +1 and -1 and the running maximum is the depth. Every step is a C
loop (regex, ``bytes.translate``, ``itertools.accumulate``), and a body with
fewer brackets than the limit, as almost every real one, skips it all.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.errors import FileTooLarge
from entrypoints.http.errors import Problem

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: the largest JSON command is a few hundred bytes
MAX_JSON_DEPTH = 32  # our deepest request is 2; a generous margin for clients that wrap
MULTIPART_SLACK = 64 * 1024  # the boundaries and part headers of an upload, on top of its file
UPLOAD = {"body": "upload"}  # a route's opt: it reads a multipart upload itself (entrypoints.http.multipart)

# A JSON string, or an unterminated one up to the end: possessive, so it never backtracks and is linear.
_STRING = re.compile(rb'"(?:[^"\\]|\\.|\\\Z)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_FORMS = (b"multipart/", b"application/x-www-form-urlencoded")


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body`` (0 for a scalar); brackets inside strings do not count.

    Malformed JSON gets a number too (unclosed brackets count as open); msgspec refuses it afterwards.
    """
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    return json_depth(body) > limit


def payload_too_large(limit: int) -> Problem:
    return Problem(413, "payload_too_large", f"a request body is at most {limit} bytes")


def file_too_large(limit: int) -> FileTooLarge:
    return FileTooLarge(f"a file is at most {limit} bytes")


class BodyLimits(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(
        self, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH, upload_max_bytes: int | None = None
    ) -> None:
        self.max_bytes, self.max_depth = max_bytes, max_depth
        self.upload_max_bytes = max_bytes if upload_max_bytes is None else upload_max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope.get("route_handler")
        upload = handler is not None and handler.opt.get("body") == UPLOAD["body"]
        if handler is None or not (upload or "data" in handler.parsed_fn_signature.parameters):
            await next_app(scope, receive, send)  # nothing reads the body of this route
            return
        headers = dict(scope["headers"])
        if upload and headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
            await next_app(scope, self._capped_upload(headers, receive), send)
            return
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise payload_too_large(self.max_bytes)
        body, last = await self._read(receive)
        if not headers.get(b"content-type", b"").lower().startswith(_FORMS) and too_deep(body, self.max_depth):
            raise Problem(
                400, "json_too_deep", f"the JSON body nests arrays and objects more than {self.max_depth} deep"
            )
        await next_app(scope, _replay(body, last, receive), send)

    def _capped_upload(self, headers: dict[bytes, bytes], receive: Receive) -> Receive:
        """The body as it comes, refused (413 file_too_large) once it is past what the largest upload needs."""
        cap = self.upload_max_bytes + MULTIPART_SLACK
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > cap:
            raise file_too_large(self.upload_max_bytes)
        seen = 0

        async def capped() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise file_too_large(self.upload_max_bytes)
            return message

        return capped

    async def _read(self, receive: Receive) -> tuple[bytes, Message | None]:
        """The whole body, and the message that ended it when that was not a body part (a disconnect)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise payload_too_large(self.max_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    pending: list[Any] = [{"type": "http.request", "body": body, "more_body": False}]
    if last is not None:
        pending.append(last)

    async def replay() -> Any:
        return pending.pop(0) if pending else await receive()

    return replay
