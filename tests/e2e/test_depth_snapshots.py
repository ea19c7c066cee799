"""``GET /orderbook/{token}/snapshots`` through a real server: a demo week's books, minute by minute, are what a
committed market fed the log up to each minute says (levels as ``GET /orderbook`` shows them, and its sequence),
the minutes without a step repeat the one before, the answers are the same after a restart, and hostile input
is a 4xx problem, never a 500.

The server's clock cannot be moved, so the times are the demo's: its week of events lies in the past."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec

from application.live.market import BookEvent, CommittedMarket
from application.ports import Recorded
from application.projections.depth import MINUTE, depth_of
from application.projections.market import bucket_of
from domain.token.events import TokenListed
from entrypoints.http.presenters import depth_snapshot
from tests.e2e.conftest import Server
from tests.e2e.helpers import API

PROBLEM = "application/problem+json"


def read_log(env: dict[str, str]) -> list[Recorded]:
    from entrypoints.config import Settings
    from entrypoints.container import build

    async def read() -> list[Recorded]:
        store = build(Settings.from_env(env)).event_store()
        try:
            return await store.read_log(0, 1_000_000)
        finally:
            await store.close()

    return asyncio.run(read())


def by_the_log(log: list[Recorded], token: TokenListed, first: datetime, last: datetime) -> list[Any]:
    """The points from ``first`` to ``last``, each from a market fed every event before it, presented as the server does."""
    market, later, points = CommittedMarket(), log, []
    t = first
    while t <= last:
        market.advance([(r.position, r.event) for r in later if r.event.at < t], complete=True)
        later = [r for r in later if r.event.at >= t]
        points.append(msgspec.to_builtins(depth_snapshot(depth_of(market, token.token_id, t), token.decimals)))
        t += MINUTE
    return points


def stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_a_demo_week_s_books_minute_by_minute_are_what_the_log_says_and_the_same_after_a_restart(
    start_server: Callable[..., Server],
) -> None:
    server = start_server()
    server.kill(signal.SIGTERM)
    made = server.cli("demo")
    assert made.returncode == 0, made.stderr
    log = read_log(server.env)
    maya = next(r.event for r in log if isinstance(r.event, TokenListed) and r.event.symbol == "MAYA")
    steps = [r.event.at for r in log if isinstance(r.event, BookEvent) and r.event.originator_id == maya.token_id]
    middle = bucket_of(steps[len(steps) // 2], 60)  # a busy moment of the week, whole minutes around it
    first, last = middle - 720 * MINUTE, middle + 719 * MINUTE  # the most one answer holds
    window = {"from": stamp(first), "to": stamp(last)}
    expected = by_the_log(log, maya, first, last)
    assert len({(p["sequence"], str(p["bids"]), str(p["asks"])) for p in expected}) > 3, "the book moves in the window"
    assert any(a["sequence"] == b["sequence"] for a, b in zip(expected, expected[1:])), "and quiet minutes"

    server.start()
    with server.client() as client:
        by_symbol = client.get(f"{API}/orderbook/MAYA/snapshots", params=window)
        assert by_symbol.status_code == 200, by_symbol.text
        answer = by_symbol.json()
        assert [p["t"] for p in answer] == [stamp(first + n * MINUTE) for n in range(1440)]
        assert answer == [{**p, "t": a["t"]} for p, a in zip(expected, answer)]
        assert client.get(f"{API}/orderbook/{maya.token_id}/snapshots", params=window).json() == answer

        recent = client.get(f"{API}/orderbook/MAYA/snapshots").json()  # the last hour, up to now
        now = datetime.now(UTC)
        assert len(recent) == 60 and now - MINUTE < datetime.fromisoformat(recent[-1]["t"]) <= now
        assert recent == [{**p, "t": a["t"]} for p, a in zip(by_the_log(log, maya, *bounds(recent)), recent)]
        before_listing = client.get(
            f"{API}/orderbook/MAYA/snapshots", params={"from": stamp(maya.at - 10 * MINUTE), "to": stamp(maya.at + 3 * MINUTE)}
        ).json()
        assert 3 <= len(before_listing) <= 4 and datetime.fromisoformat(before_listing[0]["t"]) >= maya.at

    server.kill(signal.SIGKILL)
    server.start()
    with server.client() as client:
        assert client.get(f"{API}/orderbook/MAYA/snapshots", params=window).json() == answer
        hostile(client, now=datetime.now(UTC))


def hostile(client: httpx.Client, now: datetime) -> None:
    """Problems with the price history's codes, never a 500; a name comes first, then the range."""

    def refused(params: dict[str, str], status: int, code: str, ref: str = "MAYA") -> None:
        response = client.get(f"{API}/orderbook/{ref}/snapshots", params=params)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM) and response.json()["code"] == code, response.text

    for ref in ("NOPE", "00000000-0000-0000-0000-000000000000", "%00", "x" * 3000):
        refused({}, 404, "token_not_found", ref)
    for name in ("from", "to"):
        for value in ["9999-12-31T23:59:59Z", "0001-01-01", "1999-12-31T23:59:59Z", "2100-01-01T00:00:01Z",
                      "99999999999999999999", "-1", "2026-13-45T00:00:00Z", "\u0000", "now"]:
            refused({name: value}, 422, "validation_error")
    refused({"from": stamp(now), "to": stamp(now - MINUTE)}, 422, "invalid_query")
    refused({"from": stamp(bucket_of(now, 60) - 1440 * MINUTE), "to": stamp(now)}, 422, "invalid_query")  # 1,441 minutes
    refused({"from": "2000-01-01T00:00:00Z", "to": "2099-12-31T00:00:00Z"}, 422, "invalid_query")
    assert client.get(f"{API}/orderbook/MAYA/snapshots", params={"to": "2000-01-01T00:00:00Z"}).json() == []  # before it
    assert len(client.get(f"{API}/orderbook/MAYA/snapshots", params={"from": stamp(now - 1439 * MINUTE)}).json()) >= 1439
    assert client.get(f"{API}/orderbook/MAYA/snapshots", params={"from": stamp(now + MINUTE), "to": stamp(now + 9 * MINUTE)}).json() == []
    operation = client.get("/schema/openapi.json").json()["paths"]["/api/v1/orderbook/{token_ref}/snapshots"]["get"]
    assert {"200", "404", "422", "503"} <= set(operation["responses"])


def bounds(points: list[dict[str, Any]]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(points[0]["t"]), datetime.fromisoformat(points[-1]["t"])
