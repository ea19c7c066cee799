"""A poison event in the log, through a real server: set aside, counted, alerted, and nothing stops.

The events are appended straight into the event store from this process (the
API refuses such text now): what an older version, a bug or a hand-made
fix could have stored.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import psycopg

from adapters.eventstore.postgres import PostgresEventStore
from adapters.eventstore.sqlite import SqliteEventStore
from domain.identity.events import ProfileChanged
from tests.e2e.conftest import Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import Wallet


def append_profile(server: Server, user_id: str, **profile: str | None) -> int:
    """Append a ProfileChanged to the user's stream behind the server's back; its log position."""

    async def append() -> int:
        url = server.env.get("PEOPLECOIN_DATABASE_URL")
        store = PostgresEventStore(url) if url else SqliteEventStore(Path(server.env["PEOPLECOIN_DATA_DIR"]) / "events.sqlite3")
        try:
            version = len(await store.read_stream(UUID(user_id))) + 1
            fields: dict[str, Any] = {"username": None, "display_name": None, "bio": None, "avatar_url": None, **profile}
            event = ProfileChanged(originator_id=UUID(user_id), originator_version=version, at=datetime.now(UTC), **fields)
            return await store.append([event])
        finally:
            await store.close()

    return asyncio.run(append())


def execute_on_views(server: Server, statement: str, *params: str) -> None:
    url = server.env.get("PEOPLECOIN_DATABASE_URL")
    if url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]
    else:
        with sqlite3.connect(Path(server.env["PEOPLECOIN_DATA_DIR"]) / "views.sqlite3") as conn:
            conn.execute(statement, params)


def profile_at(client: httpx.Client, tokens: dict[str, Any], position: int) -> dict[str, Any]:
    """The user's profile once the users view has reached ``position``."""
    for _ in range(10):  # 503 read_model_behind asks to come back: a slow machine, not a failure
        response = client.get(f"{API}/users/me", params={"min_position": position}, headers=bearer(tokens))
        if response.status_code != 503:
            break
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.tampers  # it changes a view row by hand, to see the audit name it
def test_a_poison_event_is_set_aside_and_the_server_keeps_projecting_alerting_and_restarting(
    start_server: Callable[..., Server], backend: str
) -> None:
    server = start_server()
    with server.client() as client:
        ann, bea, cid = (sign_in(client, Wallet.new()) for _ in range(3))
        named = client.patch(f"{API}/users/me", json={"username": "annabel"}, headers=bearer(ann))
        assert named.status_code == 200, named.text
        if backend == "postgres":  # text PostgreSQL cannot store
            poison = append_profile(server, bea["user"]["id"], display_name="Bea\x00trice")
            refused = "0x00"
        else:  # a username the view already shows for someone else: its unique index refuses it
            poison = append_profile(server, bea["user"]["id"], username="annabel")
            refused = "UNIQUE"
        later = client.patch(f"{API}/users/me", json={"display_name": "Ann"}, headers=bearer(ann))
        assert later.status_code == 200, later.text
        assert profile_at(client, ann, int(later.headers["x-event-position"]))["display_name"] == "Ann"
        assert profile_at(client, bea, poison)["display_name"] is None  # the view kept Bea as she was
        metrics = client.get("/metrics").text
        assert re.search(r'peoplecoin_projection_dead_letters\{view="users"\} 1\.0', metrics), metrics[-3000:]
        assert re.search(r'peoplecoin_projection_dead_letters\{view="categories"\} 0\.0', metrics)

    alerts = [r for r in server.log_records() if r["level"] == "ERROR" and "dead letter" in str(r["message"])]
    assert [(r["view"], r["position"]) for r in alerts] == [("users", poison)], alerts
    assert refused in str(alerts[0]["message"])
    listed = server.cli("projections", "dead-letters", "users")
    assert listed.returncode == 0, listed.stderr
    assert f"users at {poison}: domain.identity.events:ProfileChanged" in listed.stdout and refused in listed.stdout

    # stopped hard, then a second poison while no server runs: start-up catches up past it
    server.kill()
    second = append_profile(server, cid["user"]["id"], username="annabel")
    server.start()
    with server.client() as client:
        assert profile_at(client, cid, second)["username"] is None
        assert profile_at(client, ann, second)["username"] == "annabel"
    status = server.cli("projections", "status")
    assert re.search(rf"users\s+\d+\s+\d+\s+\d+\s+2 \(at {poison}, {second}\)", status.stdout), status.stdout

    # the replay sets the same events aside, so the audit holds; a row changed by hand is named
    audit = server.cli("audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "ok: views equal a fresh replay" in audit.stdout
    execute_on_views(server, "UPDATE users SET bio = 'tampered' WHERE wallet_address = ?", ann["user"]["wallet_address"])
    audit = server.cli("audit")
    assert audit.returncode == 1, audit.stdout + audit.stderr
    assert f"view users, table users, key {ann['user']['id']}" in audit.stdout
    assert "bio='tampered'" in audit.stdout and "bio=None" in audit.stdout
