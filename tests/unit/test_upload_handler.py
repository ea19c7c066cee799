"""The upload handlers: the size limit before any work, the cleaned file stored, ids that are not ids never looked up."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from application.errors import FileNotFound, FileTooLarge
from application.files import FileType
from application.handlers.files import ReadFile, UploadFile
from application.ports import CleanFile, StoredFile
from entrypoints.config import UPLOAD_MAX_BYTES, ConfigError, Settings


class RecordingInspector:
    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def clean(self, data: bytes) -> CleanFile:
        self.seen.append(data)
        return CleanFile(data=b"clean:" + data, content_type=FileType.PNG, width=2, height=1)


class MemoryStorage:
    def __init__(self) -> None:
        self.files: dict[str, tuple[StoredFile, bytes]] = {}
        self.asked: list[str] = []

    async def put(self, file: CleanFile) -> StoredFile:
        stored = StoredFile(hashlib.sha256(file.data).hexdigest(), file.content_type, len(file.data), file.width, file.height)
        self.files[stored.id] = (stored, file.data)
        return stored

    async def get(self, file_id: str) -> tuple[StoredFile, bytes] | None:
        self.asked.append(file_id)
        return self.files.get(file_id)


async def test_an_upload_stores_what_the_inspector_made_of_it() -> None:
    inspector, storage = RecordingInspector(), MemoryStorage()
    stored = await UploadFile(inspector, storage, max_bytes=10)(b"0123456789")
    assert inspector.seen == [b"0123456789"]
    assert stored == StoredFile(hashlib.sha256(b"clean:0123456789").hexdigest(), "image/png", 16, 2, 1)
    assert await ReadFile(storage)(stored.id) == (stored, b"clean:0123456789")


async def test_a_file_over_the_limit_is_refused_before_it_is_inspected() -> None:
    inspector, storage = RecordingInspector(), MemoryStorage()
    with pytest.raises(FileTooLarge):
        await UploadFile(inspector, storage, max_bytes=10)(b"01234567890")
    assert inspector.seen == [] and storage.files == {}


async def test_an_id_that_is_not_64_lowercase_hex_digits_is_not_found_without_asking_the_storage() -> None:
    storage = MemoryStorage()
    read = ReadFile(storage)
    known = "a" * 64
    for file_id in ("../etc/passwd", known.upper(), known[:63], known + "\n", ""):
        with pytest.raises(FileNotFound):
            await read(file_id)
    assert storage.asked == []
    with pytest.raises(FileNotFound):
        await read(known)
    assert storage.asked == [known]


def test_the_upload_limit_is_5_mb_unless_set(tmp_path: Path) -> None:
    def settings(**env: str) -> Settings:
        return Settings.from_env({"PEOPLECOIN_DATA_DIR": str(tmp_path), "PEOPLECOIN_JWT_SECRET": "s" * 32, **env})

    assert settings().upload_max_bytes == UPLOAD_MAX_BYTES == 5_000_000
    assert settings(PEOPLECOIN_UPLOAD_MAX_BYTES="2048").upload_max_bytes == 2048
    for bad in ("0", "-1", "5MB", "1e6", "²", "100000001"):
        with pytest.raises(ConfigError, match="PEOPLECOIN_UPLOAD_MAX_BYTES"):
            settings(PEOPLECOIN_UPLOAD_MAX_BYTES=bad)
