"""The one part named ``file`` of a ``multipart/form-data`` body, read as the body streams in.

Litestar's own form parsing is passed over for uploads: it decodes every part
sent without a filename as UTF-8 text, so a binary part without one was a
``UnicodeDecodeError`` and a 500; and it keeps every part. Here the body goes
through the ``multipart`` push parser (the one Litestar uses) chunk by chunk,
only the ``file`` part's bytes are kept, and what is wrong is answered with a
code: not multipart (``415 unsupported_media_type``), a body that does not
parse (``400 malformed_multipart``), no ``file`` part, two of them or too many
parts (``422 validation_error``). How large the body may be is
``entrypoints.http.bodies``'s to say, before any of this reads it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from entrypoints.http.errors import Problem

FORM_DATA = "multipart/form-data"
MAX_PARTS = 8


def _missing(field: str, message: str) -> Problem:
    return Problem(422, "validation_error", message, errors=[{"message": message, "key": field, "source": "body"}])


async def read_file_part(request: Request[Any, Any, Any], field: str = "file") -> bytes:
    media_type, options = request.content_type
    if media_type != FORM_DATA:
        raise Problem(415, "unsupported_media_type", f"send {FORM_DATA} with one part named {field!r}")
    boundary = options.get("boundary")
    if not boundary:
        raise Problem(400, "malformed_multipart", "the Content-Type names no multipart boundary")
    found: bytearray | None = None
    current: bytearray | None = None
    parts = 0
    try:
        with PushMultipartParser(boundary) as parser:
            async for chunk in request.stream():
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        parts += 1
                        if parts > MAX_PARTS:
                            raise _missing(field, f"send at most {MAX_PARTS} parts, one of them named {field!r}")
                        current = None
                        if event.name == field:
                            if found is not None:
                                raise _missing(field, f"send one part named {field!r}, not several")
                            current = found = bytearray()
                    elif event is None:
                        current = None
                    elif current is not None:
                        current += event
                if parser.closed:
                    break
    except (ParserError, ParserLimitReached) as error:  # a limit here is a part's headers: too long or too many
        raise Problem(400, "malformed_multipart", f"the body is not {FORM_DATA} ({error})") from None
    if found is None:
        raise _missing(field, f"the part named {field!r} is missing")
    return bytes(found)
