"""The embedded default's file storage: a folder in the data dir, one file per content, named by its SHA-256.

``<root>/ab/<sha256>`` holds the bytes and ``<root>/ab/<sha256>.json`` what
they are (type, width, height), so both survive a restart. Each is written
whole or not at all: a temporary file in the same directory, fsync, rename
over the name (``os.replace``, atomic), fsync of the directory so the rename
itself is durable. The sidecar goes first: a file whose bytes are visible
always has its sidecar, and a crash in between leaves only a sidecar, which
the next put of the same bytes rewrites. Two puts of the same bytes, from
threads or processes, write the same content under the same names: whichever
rename lands last, readers see one whole file.

An id is checked (64 lowercase hex digits) before it is turned into a path;
anything else is simply not found.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from application.files import is_file_id
from application.ports import CleanFile, StoredFile

log = logging.getLogger(__name__)


class FolderFileStorage:
    def __init__(self, root: Path) -> None:
        self._root = root

    async def put(self, file: CleanFile) -> StoredFile:
        return await asyncio.to_thread(self._put, file)

    async def get(self, file_id: str) -> tuple[StoredFile, bytes] | None:
        if not is_file_id(file_id):
            return None
        return await asyncio.to_thread(self._get, file_id)

    def _paths(self, file_id: str) -> tuple[Path, Path]:
        shard = self._root / file_id[:2]
        return shard / file_id, shard / f"{file_id}.json"

    def _put(self, file: CleanFile) -> StoredFile:
        file_id = hashlib.sha256(file.data).hexdigest()
        stored = StoredFile(file_id, str(file.content_type), len(file.data), file.width, file.height)
        blob, sidecar = self._paths(file_id)
        if blob.exists():
            return stored  # the same bytes are already here, sidecar first
        for directory in (self._root, blob.parent):
            _make_dir(directory)
        meta = {"content_type": stored.content_type, "size": stored.size, "width": stored.width, "height": stored.height}
        _write_atomically(sidecar, json.dumps(meta, sort_keys=True).encode())
        _write_atomically(blob, file.data)
        return stored

    def _get(self, file_id: str) -> tuple[StoredFile, bytes] | None:
        blob, sidecar = self._paths(file_id)
        try:
            data = blob.read_bytes()
        except FileNotFoundError:
            return None
        try:
            meta = json.loads(sidecar.read_bytes())
            stored = StoredFile(file_id, meta["content_type"], len(data), meta["width"], meta["height"])
        except (FileNotFoundError, ValueError, KeyError, TypeError) as error:
            log.error("the stored file %s has no readable sidecar (%s): not served", file_id, error)
            return None
        return stored, data


def _make_dir(path: Path) -> None:
    """The directory, made durable in its parent when it is new."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True)  # another thread or process may make it at the same time
    _fsync_dir(path.parent)


def _write_atomically(path: Path, data: bytes) -> None:
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(draft, path)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
