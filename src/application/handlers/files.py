"""Uploads (CREATORS.md): a file checked and cleaned, then stored under its content's hash; and read back.

Cleaning decodes and re-encodes images: CPU and memory bound work (a
40-megapixel image is 160 MB of pixels). It runs in a worker thread, so the
event loop keeps serving, and at most ``at_once`` at a time per process, so a
burst of uploads cannot take the memory of the machine.
"""

from __future__ import annotations

import asyncio

from application.errors import FileNotFound, FileTooLarge
from application.files import is_file_id
from application.ports import FileInspector, FileStorage, StoredFile

DEFAULT_AT_ONCE = 2


class UploadFile:
    def __init__(self, inspector: FileInspector, storage: FileStorage, max_bytes: int, *, at_once: int = DEFAULT_AT_ONCE) -> None:
        self._inspector, self._storage = inspector, storage
        self.max_bytes = max_bytes
        self._cleaning = asyncio.Semaphore(at_once)

    async def __call__(self, data: bytes) -> StoredFile:
        """Raises FileTooLarge, UnsupportedMediaType or InvalidImage; the same content gives the same id."""
        if len(data) > self.max_bytes:
            raise FileTooLarge(f"a file is at most {self.max_bytes} bytes; this one is {len(data)}")
        async with self._cleaning:
            clean = await asyncio.to_thread(self._inspector.clean, data)
        return await self._storage.put(clean)


class ReadFile:
    def __init__(self, storage: FileStorage) -> None:
        self._storage = storage

    async def __call__(self, file_id: str) -> tuple[StoredFile, bytes]:
        found = await self._storage.get(file_id) if is_file_id(file_id) else None
        if found is None:
            raise FileNotFound(f"no file has the id {file_id[:80]!r}")
        return found
