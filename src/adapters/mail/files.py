"""Mail written to a directory as .eml files: the developer default, no mail server needed."""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from uuid import uuid4

from adapters.mail.message import build_message, parse_mailbox
from application.ports import OutgoingEmail

_TICK = timedelta(microseconds=1)


class FileMailer:
    """Writes each message to ``<directory>/<UTC time>-<uuid>.eml`` so a developer can read the code.

    Names sort in sending order (the time is nudged forward a microsecond when
    two sends share a clock reading) and never collide (the uuid, also the
    Message-ID's left part). Each file appears whole: it is written under a
    hidden ``.tmp`` name and renamed, so a reader globbing ``*.eml`` never sees
    half a message. Not fsync'ed: a crash may lose a message, never corrupt one
    that was read. Files are 0600, as mkstemp makes them: they hold live codes.

    send() raises ValueError for a recipient that is not one address or a
    subject with a line break, and OSError when the directory cannot be written.
    """

    def __init__(self, directory: Path, sender: str) -> None:
        self._directory = directory
        self._sender = parse_mailbox(sender)
        self._last = datetime.min.replace(tzinfo=UTC)

    async def send(self, email: OutgoingEmail) -> None:
        at = self._last = max(datetime.now(UTC), self._last + _TICK)
        message_id = uuid4()
        raw = build_message(email, self._sender, at, message_id).as_bytes(policy=policy.SMTP)
        await asyncio.to_thread(self._write, f"{at:%Y%m%dT%H%M%S.%fZ}-{message_id}.eml", raw)

    def _write(self, name: str, raw: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self._directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(raw)
            os.replace(temporary, self._directory / name)
        except BaseException:
            os.unlink(temporary)
            raise
