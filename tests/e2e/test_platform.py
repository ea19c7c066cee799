"""The platform through a real server process: operations endpoints, errors, durability, the command line."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx

from domain.creator.categories import DEFAULT_CATEGORIES
from tests.e2e.conftest import Server, server_env

PROBLEM = "application/problem+json"


def all_categories(client: httpx.Client, limit: int = 5, **params: object) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/categories", params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_health_ready_schema_and_metrics_answer(server: Server, backend: str) -> None:
    with server.client() as client:
        assert client.get("/health").json() == {"status": "ok"}
        ready = client.get("/ready")
        assert ready.status_code == 200
        expected = {"event_store", "views"} | ({"redis"} if backend == "postgres" else set())
        assert ready.json() == {"status": "ready", "checks": dict.fromkeys(expected, "ok")}
        page = client.get("/schema")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        document = client.get("/schema/openapi.json").json()
        assert "/api/v1/categories" in document["paths"]
        client.get("/api/v1/categories")
        metrics = client.get("/metrics").text
        assert re.search(r'peoplecoin_requests_total\{.*path="/api/v1/categories".*\} [1-9]', metrics), metrics[:2000]


def test_the_default_categories_are_seeded_once_and_page_through_cursors(server: Server) -> None:
    with server.client() as client:
        items = all_categories(client, limit=5)
    assert sorted(c["name"] for c in items) == sorted(DEFAULT_CATEGORIES)
    assert [c["slug"] for c in items] == sorted(c["slug"] for c in items)
    assert len({c["id"] for c in items}) == len(items)


def test_errors_are_problem_details_with_stable_codes(server: Server) -> None:
    with server.client() as client:
        cases = [
            (client.get("/no/such/path"), 404, "not_found"),
            (client.post("/health"), 405, "method_not_allowed"),
            (client.get("/api/v1/categories", params={"limit": 0}), 422, "validation_error"),
            (client.get("/api/v1/categories", params={"limit": 501}), 422, "validation_error"),
            (client.get("/api/v1/categories", params={"limit": "many"}), 422, "validation_error"),
            (client.get("/api/v1/categories", params={"cursor": "%%%"}), 422, "invalid_cursor"),
            (client.get("/api/v1/categories", params={"min_position": 10**9}), 422, "min_position_not_written"),
        ]
        for response, status, code in cases:
            assert response.status_code == status, response.text
            assert response.headers["content-type"].startswith(PROBLEM)
            body = response.json()
            assert (body["status"], body["code"]) == (status, code)
            assert body["title"] and body["detail"] and body["instance"]


def test_a_category_added_from_the_command_line_is_served_at_its_position(server: Server) -> None:
    done = server.cli("categories", "add", "Knitting & Crochet")
    assert done.returncode == 0, done.stderr
    position = int(re.search(r"at position (\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    with server.client() as client:
        names = [c["name"] for c in all_categories(client, limit=50, min_position=position)]
        assert "Knitting & Crochet" in names
        renamed = server.cli("categories", "rename", "knitting-crochet", "Yarn Crafts")
        assert renamed.returncode == 0, renamed.stderr
        position = int(re.search(r"at position (\d+)", renamed.stdout).group(1))  # type: ignore[union-attr]
        by_slug = {c["slug"]: c["name"] for c in all_categories(client, limit=50, min_position=position)}
    assert by_slug["knitting-crochet"] == "Yarn Crafts"


def test_a_refused_command_line_change_says_why_and_changes_nothing(server: Server) -> None:
    before = server.cli("projections", "status").stdout
    refused = server.cli("categories", "add", "art")
    assert refused.returncode == 1
    assert "category_exists" in refused.stderr
    assert server.cli("projections", "status").stdout == before


def test_everything_survives_kill_9_and_a_restart(server: Server) -> None:
    added = server.cli("categories", "add", "Woodwork")
    position = int(re.search(r"at position (\d+)", added.stdout).group(1))  # type: ignore[union-attr]
    with server.client() as client:
        before = all_categories(client, min_position=position)
    assert server.kill(signal.SIGKILL) == -signal.SIGKILL
    server.start()
    with server.client() as client:
        assert all_categories(client) == before
    status = server.cli("projections", "status").stdout
    assert re.search(rf"categories\s+{position}\s+{position}\s+0", status), status


def test_a_rebuilt_view_serves_what_the_live_one_did(server: Server) -> None:
    server.cli("categories", "add", "Pottery")
    done = server.cli("categories", "rename", "pottery", "Ceramics")
    position = int(re.search(r"at position (\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    with server.client() as client:
        live = all_categories(client, min_position=position)
        rebuilt = server.cli("projections", "rebuild", "categories")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert f"rebuilt categories to position {position}" in rebuilt.stdout
        assert all_categories(client) == live
    unknown = server.cli("projections", "rebuild", "nonsense")
    assert unknown.returncode == 2 and "no view named" in unknown.stderr


def test_sigterm_shuts_down_cleanly_and_every_log_line_is_json(server: Server) -> None:
    with server.client() as client:
        client.get("/api/v1/categories")
    # uvicorn finishes its graceful shutdown, then re-raises the signal so the exit status tells it
    assert server.kill(signal.SIGTERM) in (0, -signal.SIGTERM)
    records = server.log_records()
    messages = [str(r["message"]) for r in records]
    assert any("Application shutdown complete" in m for m in messages), messages[-5:]
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


def test_ready_says_which_dependency_is_down(tmp_path: Path, postgres_url: str) -> None:
    dead_redis = "redis://127.0.0.1:1/0"
    server = Server(
        server_env(tmp_path, PEOPLECOIN_DATABASE_URL=postgres_url, PEOPLECOIN_REDIS_URL=dead_redis),
        tmp_path / "server.log",
    ).start()
    try:
        with server.client() as client:
            ready = client.get("/ready")
        assert ready.status_code == 503
        body = ready.json()
        assert body["code"] == "not_ready"
        assert body["checks"]["redis"].startswith("failed") and body["checks"]["event_store"] == "ok"
    finally:
        server.kill()


def test_a_bad_setting_stops_the_server_with_a_clear_message(tmp_path: Path) -> None:
    server = Server(server_env(tmp_path, PEOPLECOIN_ADMIN_ADDRESSES="0xnot-an-address"), tmp_path / "server.log")
    done = server.cli("serve")
    assert done.returncode == 2
    assert "PEOPLECOIN_ADMIN_ADDRESSES" in done.stderr
