"""Bad input through a real server, on both backends: a 4xx problem with a stable code, and nothing changed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from entrypoints.http.schemas import encode_cursor
from tests.e2e.conftest import Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import Wallet

PROBLEM = "application/problem+json"
# NUL (PostgreSQL cannot store it in text), ESC (terminal escapes), NEL (whitespace to str.strip and str.split)
CONTROL = ["\u0000", "\u001b", "\u0085"]


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code, response.text


def log_head(server: Server) -> int:
    status = server.cli("projections", "status")
    assert status.returncode == 0, status.stderr
    return int(re.search(r"^users\s+\d+\s+(\d+)", status.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]


def mails(server: Server) -> list[Path]:
    return sorted((Path(server.env["PEOPLECOIN_DATA_DIR"]) / "mail").glob("*.eml"))


@pytest.fixture
def admin_server(start_server: Callable[..., Server]) -> tuple[Server, Wallet]:
    admin = Wallet.new()
    return start_server(PEOPLECOIN_ADMIN_ADDRESSES=admin.address), admin


def test_control_characters_in_every_stored_text_are_invalid_text_and_store_nothing(
    admin_server: tuple[Server, Wallet],
) -> None:
    server, admin = admin_server
    with server.client() as client:
        auth = bearer(sign_in(client, admin))
        profile = {"username": "ann_text", "display_name": "Ann", "bio": "hello", "avatar_url": "https://a.example/x.png"}
        changed = client.patch(f"{API}/users/me", json=profile, headers=auth)
        assert changed.status_code == 200, changed.text
        me = client.get(f"{API}/users/me", params={"min_position": changed.headers["x-event-position"]}, headers=auth).json()
        assert me["username"] == "ann_text"
        categories = client.get(f"{API}/categories", params={"limit": 500}).json()
        tokens = client.get(f"{API}/tokens").json()
        head = log_head(server)
        listing = {"symbol": "ALICE", "name": "Alice", "creator_wallet_address": admin.address, "total_supply": "1000"}
        # (method, path, a body that would be accepted, the field to spoil)
        attempts: list[tuple[str, str, dict[str, Any], str]] = [
            *[("PATCH", "/users/me", {field: value}, field) for field, value in profile.items()],
            ("POST", "/users/me/email", {"email": "ann@example.com"}, "email"),
            ("POST", "/admin/categories", {"name": "Pottery"}, "name"),
            ("POST", "/admin/categories", {"name": "Pottery", "slug": "pottery"}, "slug"),
            ("PATCH", "/admin/categories/art", {"name": "Arts"}, "name"),
            *[("POST", "/admin/tokens", listing, field) for field in ("symbol", "name", "creator_wallet_address")],
            ("POST", "/admin/deposits", {"address": admin.address, "asset": "USD", "amount": "10"}, "address"),
        ]
        for method, path, body, field in attempts:
            for bad in CONTROL:
                for spoiled in (body[field][:2] + bad + body[field][2:], body[field] + bad):
                    answer = client.request(method, API + path, json={**body, field: spoiled}, headers=auth)
                    refused(answer, 422, "invalid_text")
                    assert field in answer.json()["detail"], answer.text
        assert client.get(f"{API}/users/me", headers=auth).json() == me
        assert client.get(f"{API}/categories", params={"limit": 500}).json() == categories
        assert client.get(f"{API}/tokens").json() == tokens
        assert client.get(f"{API}/users/me/balances", headers=auth).json() == [
            {"asset": "USD", "available": "0", "held": "0", "total": "0"}
        ]
    assert log_head(server) == head
    assert mails(server) == []


def test_a_bio_keeps_newlines_and_tabs(server: Server) -> None:
    with server.client() as client:
        auth = bearer(sign_in(client, Wallet.new()))
        changed = client.patch(f"{API}/users/me", json={"bio": "line one\n\tline two"}, headers=auth)
        assert changed.status_code == 200, changed.text
        position = changed.headers["x-event-position"]
        me = client.get(f"{API}/users/me", params={"min_position": position}, headers=auth).json()
    assert me["bio"] == "line one\n\tline two"


UNMAILABLE = ["a,b@example.com", "a@b@example.com", "ann@localhost", "Ann <ann@example.com>", "jöhn@example.com", "x" * 65 + "@example.com"]


def test_an_email_that_cannot_be_mailed_is_invalid_email_and_neither_stored_nor_mailed(server: Server) -> None:
    with server.client() as client:
        auth = bearer(sign_in(client, Wallet.new()))
        head = log_head(server)
        for email in UNMAILABLE:
            refused(client.post(f"{API}/users/me/email", json={"email": email}, headers=auth), 422, "invalid_email")
        assert client.get(f"{API}/users/me", headers=auth).json()["email"] is None
    assert log_head(server) == head
    assert mails(server) == []


def body_operations(client: httpx.Client) -> list[tuple[str, str]]:
    """Every operation that takes a body, its path parameters filled with a value of their type."""
    document = client.get("/schema/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            kinds = {p["name"]: p.get("schema", {}).get("format") for p in operation.get("parameters", []) if p.get("in") == "path"}
            filled = re.sub(r"\{([^}]+)\}", lambda m: str(UUID(int=7)) if kinds.get(m.group(1)) == "uuid" else "art", path)
            found.append((method.upper(), filled))
    return found


@pytest.mark.parametrize("backend", ["embedded"])  # the limits sit in front of every backend alike
def test_a_body_nested_too_deep_or_too_large_is_refused_on_every_route_and_stores_nothing(
    admin_server: tuple[Server, Wallet],
) -> None:
    server, admin = admin_server
    with server.client() as client:
        auth = bearer(sign_in(client, admin))
        routes = body_operations(client)
        assert len(routes) >= 10, routes
        head = log_head(server)
        deep_array = b"[" * 1000 + b"]" * 1000
        deep_object = b'{"a":' * 1000 + b"1" + b"}" * 1000
        just_too_deep = b'{"name": ' + b"[" * 32 + b"]" * 32 + b"}"  # 33 with the object
        huge = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
        for method, path in routes:
            for body in (deep_array, deep_object, just_too_deep):
                answer = client.request(method, path, content=body, headers={**auth, "Content-Type": "application/json"})
                refused(answer, 400, "json_too_deep")
            refused(client.request(method, path, content=huge, headers={**auth, "Content-Type": "application/json"}), 413, "payload_too_large")
            chunked = client.request(method, path, content=iter([huge[:1000], huge[1000:]]), headers={**auth, "Content-Type": "application/json"})
            refused(chunked, 413, "payload_too_large")
        # Depth 32 is within the limit: the body reaches the handler, which says what is wrong with it.
        at_the_limit = client.post(f"{API}/admin/categories", content=b'{"name": ' + b"[" * 31 + b"]" * 31 + b"}", headers=auth)
        refused(at_the_limit, 422, "validation_error")
        quoted = client.post(f"{API}/admin/categories", json={"name": "[" * 100 + '\\"{' * 100}, headers=auth)
        refused(quoted, 422, "invalid_category_name")  # brackets inside a string are text, whatever their number
    assert log_head(server) == head


def test_cursors_times_and_numbers_out_of_range_are_422_never_500(admin_server: tuple[Server, Wallet]) -> None:
    server, admin = admin_server
    with server.client() as client:
        auth = bearer(sign_in(client, admin))
        listing = {"symbol": "ALICE", "name": "Alice", "creator_wallet_address": admin.address, "total_supply": "1000"}
        assert client.post(f"{API}/admin/tokens", json=listing, headers=auth).status_code == 201
        for field, value in (("initial_price", "1" * 30), ("tick_size", "1" * 25), ("lot_size", "1" * 25)):
            too_big = {**listing, "symbol": "BIG", field: value}
            refused(client.post(f"{API}/admin/tokens", json=too_big, headers=auth), 422, "invalid_token_parameters")
        assert client.get(f"{API}/tokens").status_code == 200  # the market view keeps up
        lists = ["/categories", "/tokens", "/tokens/ALICE/holders", "/tokens/ALICE/transactions", "/orders", "/trades", "/transactions"]
        bad_cursors = [
            encode_cursor(2**63), encode_cursor(-1), encode_cursor(10**30), encode_cursor(1.5), encode_cursor(True),
            encode_cursor("\u0000"), encode_cursor("x" * 65), encode_cursor([2**63, "trade", "USD"]),
            encode_cursor([1, "trade\u0000", "USD"]), encode_cursor({"a": 1}), "%%%", "", "A" * 1001,
        ]
        for path in lists:
            assert client.get(API + path, headers=auth).status_code == 200, path
            for bad in bad_cursors:
                refused(client.get(API + path, params={"cursor": bad}, headers=auth), 422, "invalid_cursor" if len(bad) <= 1000 else "validation_error")
        assert client.get(f"{API}/orders", params={"cursor": encode_cursor(2**63 - 1)}, headers=auth).json()["items"] == []
        history = f"{API}/tokens/ALICE/price-history"
        for name in ("from", "to"):
            for value in ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2100-01-01T00:00:01Z",
                          "0001-01-01", "99999999999999999999", "-1", "2026-13-45T00:00:00Z", "\u0000"]:
                refused(client.get(history, params={name: value}), 422, "validation_error")
        assert client.get(history, params={"from": "2026-11-30T00:00:00Z", "to": "2026-11-30T01:00:00"}).status_code == 200
        numbers = [
            ("/categories", "limit", 2**64), ("/categories", "limit", -1), ("/categories", "min_position", 2**63),
            ("/categories", "min_position", -(2**63) - 1), ("/orderbook/ALICE", "depth", 10**30), ("/users/me", "min_position", 0),
        ]
        for path, name, value in numbers:
            refused(client.get(API + path, params={name: value}, headers=auth), 422, "validation_error")
        refused(client.get(f"{API}/categories", params={"min_position": 2**63 - 1}), 422, "min_position_not_written")
