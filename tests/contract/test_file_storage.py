"""The file storage port: the same assertions against the data dir's folder and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.files.folder import FolderFileStorage
from adapters.files.postgres import PostgresFileStorage
from adapters.views.database import ViewDatabase, sqlalchemy_url
from application.files import FileType
from application.ports import CleanFile, FileStorage, StoredFile

PICTURE = CleanFile(data=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, content_type=FileType.PNG, width=30, height=20)
DOCUMENT = CleanFile(data=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n", content_type=FileType.PDF, width=None, height=None)


class Backend:
    """Opens storages on one place (a folder, a database) and counts what that place holds."""

    def __init__(self, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.kind, self.root = kind, tmp_path / "data" / "files"
        self.url = sqlalchemy_url(request.getfixturevalue("postgres_url")) if kind == "postgres" else ""
        self._databases: list[ViewDatabase] = []

    def open(self) -> FileStorage:
        if self.kind == "folder":
            return FolderFileStorage(self.root)
        db = ViewDatabase(self.url)
        self._databases.append(db)
        return PostgresFileStorage(db)

    async def count(self) -> int:
        """How many contents are stored; for the folder, also that no temporary file was left behind."""
        if self.kind == "folder":
            names = [p.name for p in self.root.rglob("*") if p.is_file()]
            assert not [n for n in names if n.startswith(".")], f"temporary files left: {names}"
            blobs = [n for n in names if not n.endswith(".json")]
            assert sorted(f"{n}.json" for n in blobs) == sorted(n for n in names if n.endswith(".json")), names
            return len(blobs)
        db = ViewDatabase(self.url)
        try:
            async with db.engine.connect() as conn:
                return int(await conn.scalar(text("SELECT count(*) FROM stored_files")) or 0)
        finally:
            await db.close()

    async def close(self) -> None:
        for db in self._databases:
            await db.close()
        self._databases.clear()


@pytest.fixture(params=["folder", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    opened = Backend(request.param, tmp_path, request)
    yield opened
    await opened.close()


@pytest.fixture
def storage(backend: Backend) -> FileStorage:
    return backend.open()


def expected(file: CleanFile) -> StoredFile:
    return StoredFile(hashlib.sha256(file.data).hexdigest(), str(file.content_type), len(file.data), file.width, file.height)


async def test_a_stored_file_comes_back_whole_under_the_sha256_of_its_bytes(storage: FileStorage) -> None:
    stored = await storage.put(PICTURE)
    assert stored == expected(PICTURE)
    assert await storage.get(stored.id) == (stored, PICTURE.data)


async def test_a_file_without_dimensions_keeps_them_empty(storage: FileStorage) -> None:
    stored = await storage.put(DOCUMENT)
    assert stored == expected(DOCUMENT)
    found = await storage.get(stored.id)
    assert found is not None
    assert (found[0].width, found[0].height, found[0].content_type) == (None, None, "application/pdf")
    assert found[1] == DOCUMENT.data


async def test_the_same_bytes_are_the_same_id_and_stored_once(storage: FileStorage, backend: Backend) -> None:
    first = await storage.put(PICTURE)
    again = await storage.put(PICTURE)
    other = await storage.put(DOCUMENT)
    assert again == first
    assert other.id != first.id
    assert await backend.count() == 2


async def test_an_id_never_stored_is_not_found(storage: FileStorage) -> None:
    await storage.put(PICTURE)
    assert await storage.get(hashlib.sha256(b"something else").hexdigest()) is None


async def test_what_is_not_64_lowercase_hex_digits_is_not_found_and_reaches_nothing(
    storage: FileStorage, backend: Backend, tmp_path: Path
) -> None:
    stored = await storage.put(PICTURE)
    for bait in (tmp_path / "secret", tmp_path / "data" / "secret"):  # where ../ would lead from the folder
        bait.parent.mkdir(parents=True, exist_ok=True)
        bait.write_bytes(b"not for you")
        bait.with_name("secret.json").write_text('{"content_type": "text/plain", "size": 11, "width": null, "height": null}')
    hostile = [
        "",
        "..",
        "../secret",
        "../../secret",
        "../" + stored.id,
        f"{stored.id[:2]}/{stored.id}",
        stored.id.upper(),
        stored.id[:63],
        stored.id + "0",
        stored.id + "\n",
        stored.id + "/",
        stored.id + ".json",
        stored.id[:63] + "\x00",
        "/etc/passwd",
        "%2e%2e%2fsecret",
        "g" * 64,
        " " + stored.id[1:],
    ]
    for file_id in hostile:
        assert await storage.get(file_id) is None, repr(file_id)
    assert await storage.get(stored.id) == (stored, PICTURE.data), "the real id still works"


async def test_files_survive_reopening_the_storage(backend: Backend) -> None:
    stored = await backend.open().put(PICTURE)
    await backend.close()
    assert await backend.open().get(stored.id) == (stored, PICTURE.data)


async def test_concurrent_puts_of_the_same_bytes_from_two_storages_store_one_whole_file(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    puts: list[Callable[[], Awaitable[StoredFile]]] = [lambda s=s: s.put(PICTURE) for s in (first, second) * 10]
    results = await asyncio.gather(*(put() for put in puts))
    assert set(results) == {expected(PICTURE)}
    assert await backend.count() == 1
    for storage in (first, second, backend.open()):
        assert await storage.get(expected(PICTURE).id) == (expected(PICTURE), PICTURE.data)
