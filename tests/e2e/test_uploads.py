"""Uploads through a real server process (CREATORS.md, "Uploads"): POST /api/v1/upload, GET /api/v1/files/{id}."""

from __future__ import annotations

import hashlib
import io
import re
import signal
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import Wallet

CAP = 100_000  # PEOPLECOIN_UPLOAD_MAX_BYTES in these tests
PROBLEM = "application/problem+json"
MARKER = "GPS-MARKER-48.8584N"
GPS_IFD = 0x8825
embedded = pytest.mark.parametrize("backend", ["embedded"])


def photo(colour: str = "red", size: tuple[int, int] = (40, 20)) -> bytes:
    """A JPEG as a phone makes it: EXIF with the place it was taken, a description and an orientation."""
    exif = Image.Exif()
    exif[0x0112] = 6  # seen turned a quarter clockwise
    exif[0x010E] = MARKER
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0), 27: MARKER.encode()}
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(client: httpx.Client, auth: dict[str, str], data: bytes, name: str = "photo.jpg", declared: str = "image/jpeg") -> httpx.Response:
    return client.post(f"{API}/upload", files={"file": (name, data, declared)}, headers=auth)


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def stored_blobs(server: Server) -> list[Path]:
    root = Path(server.env["PEOPLECOIN_DATA_DIR"]) / "files"
    return [p for p in root.rglob("*") if p.is_file() and re.fullmatch(r"[0-9a-f]{64}", p.name)] if root.exists() else []


def served(client: httpx.Client, url: str, **headers: str) -> httpx.Response:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    policy = answer.headers["content-security-policy"]
    assert "sandbox" in policy.split("; ") and "default-src 'none'" in policy, policy
    return answer


@embedded
def test_an_upload_is_cleaned_stored_by_its_hash_and_served_back_the_same_after_a_restart(
    start_server: Callable[..., Server],
) -> None:
    server = start_server(PEOPLECOIN_UPLOAD_MAX_BYTES=str(CAP))
    with server.client() as client:
        auth = bearer(sign_in(client, Wallet.new()))
        sent = photo()
        created = upload(client, auth, sent, name="report.pdf", declared="application/pdf")  # the name and type lie
        assert created.status_code == 201, created.text
        body = created.json()
        assert set(body) == {"id", "url", "content_type", "size", "width", "height"}
        assert re.fullmatch(r"[0-9a-f]{64}", body["id"])
        assert body["url"] == f"{API}/files/{body['id']}"
        assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 20, 40), "found from the bytes, upright"

        image = served(client, body["url"])
        assert image.headers["content-type"] == "image/jpeg"
        assert "content-disposition" not in image.headers
        assert hashlib.sha256(image.content).hexdigest() == body["id"] and len(image.content) == body["size"]
        assert image.content != sent and MARKER.encode() not in image.content
        stored = Image.open(io.BytesIO(image.content))
        assert stored.size == (20, 40) and not stored.getexif(), "no EXIF, so no GPS"
        assert served(client, body["url"], **auth).content == image.content, "public and cacheable, token or not"

        again = upload(client, auth, sent, name="other-name.jpg")
        assert again.status_code == 201 and again.json() == body, "the same content is the same id"

        document = upload(client, auth, PDF, name="cv.png", declared="image/png")
        assert document.status_code == 201, document.text
        pdf = document.json()
        assert (pdf["content_type"], pdf["size"], pdf["width"], pdf["height"]) == ("application/pdf", len(PDF), None, None)
        attachment = served(client, pdf["url"])
        assert attachment.content == PDF, "a PDF is stored as sent"
        assert attachment.headers["content-type"] == "application/pdf"
        assert attachment.headers["content-disposition"].startswith("attachment")
        assert len(stored_blobs(server)) == 2

    server.kill(signal.SIGKILL)
    server.start()
    with server.client() as client:
        assert served(client, body["url"]).content == image.content
        after = served(client, pdf["url"])
        assert (after.content, after.headers["content-type"]) == (PDF, "application/pdf")
        assert after.headers["content-disposition"].startswith("attachment")


@embedded
def test_an_upload_that_cannot_be_taken_is_refused_with_its_code_and_stores_nothing(
    start_server: Callable[..., Server],
) -> None:
    server = start_server(PEOPLECOIN_UPLOAD_MAX_BYTES=str(CAP))
    with server.client() as client:
        anonymous = refused(upload(client, {}, photo()), 401, "missing_token")
        assert anonymous["status"] == 401
        auth = bearer(sign_in(client, Wallet.new()))

        over = photo() + b"\0" * (CAP + 1 - len(photo()))
        assert len(over) == CAP + 1
        refused(upload(client, auth, over), 413, "file_too_large")
        far_over = png() + b"\0" * (4 * CAP)
        refused(upload(client, auth, far_over), 413, "file_too_large")  # refused from its Content-Length
        head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n\r\n' + png()
        streamed = client.post(
            f"{API}/upload",
            content=iter([head, *[b"\0" * 16384] * 40, b"\r\n--b--\r\n"]),  # no Content-Length: counted as it comes
            headers={**auth, "Content-Type": "multipart/form-data; boundary=b"},
        )
        refused(streamed, 413, "file_too_large")

        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("a.txt", "a")
        gif = io.BytesIO()
        Image.new("RGB", (4, 4)).save(gif, "GIF")
        for data, name, declared in [
            (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "a.svg", "image/svg+xml"),
            (b"<!DOCTYPE html><script>alert(1)</script>", "a.png", "image/png"),
            (gif.getvalue(), "a.gif", "image/gif"),
            (archive.getvalue(), "a.jpg", "image/jpeg"),
            (b"", "empty.png", "image/png"),
        ]:
            refused(upload(client, auth, data, name, declared), 415, "unsupported_media_type")
        refused(client.post(f"{API}/upload", json={"file": "aGVsbG8="}, headers=auth), 415, "unsupported_media_type")

        truncated = photo()[: len(photo()) // 2]
        assert "decode" in refused(upload(client, auth, truncated), 422, "invalid_image")["detail"]
        bomb = png((1, 1))
        bomb = bomb[:16] + (50_000).to_bytes(4, "big") * 2 + bomb[24:]  # a header claiming 50,000 x 50,000
        assert "megapixels" in refused(upload(client, auth, bomb, "bomb.png", "image/png"), 422, "invalid_image")["detail"]

        no_file = client.post(f"{API}/upload", files={"picture": ("a.png", png(), "image/png")}, headers=auth)
        assert refused(no_file, 422, "validation_error")["errors"][0]["key"] == "file"
        garbage = client.post(
            f"{API}/upload", content=b"not multipart", headers={**auth, "Content-Type": "multipart/form-data; boundary=b"}
        )
        refused(garbage, 400, "malformed_multipart")
    assert stored_blobs(server) == []


@embedded
def test_an_id_that_is_not_64_lowercase_hex_digits_is_a_404_and_never_a_path(start_server: Callable[..., Server]) -> None:
    server = start_server()
    secret = (Path(server.env["PEOPLECOIN_DATA_DIR"]) / "jwt-secret").read_text().strip()
    with server.client() as client:
        auth = bearer(sign_in(client, Wallet.new()))
        file_id = upload(client, auth, png(), "a.png", "image/png").json()["id"]
        for hostile in [
            file_id.upper(),
            file_id[:63],
            file_id + "0",
            "abc",
            "%2e%2e",
            "..%2F..%2Fjwt-secret",
            "%2e%2e%2f%2e%2e%2f%2e%2e%2fjwt-secret",
            f"{file_id[:2]}%2F{file_id}",
            f"{file_id}.json",
            "../../jwt-secret",
            "..",
        ]:
            answer = client.get(f"{API}/files/{hostile}")
            assert answer.status_code == 404, (hostile, answer.status_code, answer.text)
            assert answer.json()["code"] in ("file_not_found", "not_found"), hostile
            assert secret not in answer.text
        refused(client.get(f"{API}/files/{'0' * 64}"), 404, "file_not_found")
        assert hashlib.sha256(served(client, f"{API}/files/{file_id}").content).hexdigest() == file_id, "the id itself works"


@pytest.mark.parametrize("backend", ["postgres"])
def test_processes_on_one_database_serve_each_others_uploads_and_share_the_upload_rate(
    start_server: Callable[..., Server],
) -> None:
    shared = {"PEOPLECOIN_JWT_SECRET": "one secret for every process of a deployment, long enough",
              "PEOPLECOIN_RATE_LIMITS": "trading=3/minute"}
    first, second = start_server(**shared), start_server(**shared)
    with first.client() as one, second.client() as other:
        auth = bearer(sign_in(one, Wallet.new()))
        created = upload(one, auth, photo("blue"))
        assert created.status_code == 201, created.text
        body = created.json()
        assert hashlib.sha256(served(other, body["url"]).content).hexdigest() == body["id"]
        assert upload(other, auth, photo("blue")).json() == body, "the same content is the same id on every process"
        assert upload(one, auth, PDF, "a.pdf", "application/pdf").status_code == 201
        limited = refused(upload(other, auth, png(), "a.png", "image/png"), 429, "rate_limited")
        assert "trading" in limited["detail"]
        assert stored_blobs(first) == stored_blobs(second) == [], "files live in PostgreSQL, not in a data dir"
