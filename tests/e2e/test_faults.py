"""Faults through real server processes: a second engine, kill -9 under load with subscribers, a failing
database, and what the feed may say meanwhile; on the embedded default and on PostgreSQL with Redis."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import Server
from tests.e2e.helpers import API
from tests.e2e.test_trading import D, Market, Trader, limit, problem, start_market

TIMEOUT = 10


def same_store(first: Server, backend: str) -> dict[str, str]:
    """Settings that put a second process on the first one's data dir or database."""
    if backend == "embedded":
        return {"PEOPLECOIN_DATA_DIR": first.env["PEOPLECOIN_DATA_DIR"], "PEOPLECOIN_JWT_SECRET": first.env["PEOPLECOIN_JWT_SECRET"]}
    return {
        name: first.env[name]
        for name in ("PEOPLECOIN_DATABASE_URL", "PEOPLECOIN_REDIS_URL", "PEOPLECOIN_REDIS_PREFIX", "PEOPLECOIN_JWT_SECRET")
        if name in first.env
    }


@contextmanager
def live(server: Server) -> Iterator[ClientConnection]:
    with connect(server.url.replace("http", "ws") + f"{API}/ws", open_timeout=TIMEOUT) as ws:
        yield ws


def subscribe(ws: ClientConnection, channel: str, token: str) -> dict[str, Any]:
    ws.send(json.dumps({"op": "subscribe", "channel": channel, "token_id": token}))
    while True:
        message = json.loads(ws.recv(timeout=TIMEOUT))
        if message.get("type") == "snapshot" and message["channel"] == channel:
            return message


def wait_until(what: Callable[[], bool], timeout: float = 30, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(every)


def audit(server: Server) -> None:
    done = server.cli("audit")
    assert done.returncode == 0, done.stdout + done.stderr


def funded_market(start_server: Callable[..., Server], **env: str) -> tuple[Market, list[Trader]]:
    market = start_market(start_server, PEOPLECOIN_JWT_SECRET="x" * 40, **env)
    creator = market.trader()
    market.list_token("ALICE", creator)
    traders = [market.trader(usd="5000", ALICE="5000") for _ in range(4)]
    return market, traders


# ----- one writer -----


def test_a_second_engine_on_the_same_store_stands_by_never_writes_and_takes_over_when_the_first_dies(
    start_server: Callable[..., Server], backend: str
) -> None:
    market, (alice, bob, *_) = funded_market(start_server)
    first = market.server
    alice.placed(**limit("ALICE", "sell", "1", "10"))
    second = start_server(PEOPLECOIN_ADMIN_ADDRESSES=first.env["PEOPLECOIN_ADMIN_ADDRESSES"], PEOPLECOIN_RATE_LIMITS="off",
                          **same_store(first, backend))
    wait_until(lambda: "standing by" in second.log())
    with httpx.Client(base_url=second.url, timeout=30) as other:
        head = market.barrier()
        # the standby serves reads and answers commands 503, storing nothing
        refused = other.post(f"{API}/orders", json=limit("ALICE", "buy", "1", "1"), headers=bob.headers)
        problem(refused, 503, "engine_elsewhere")
        assert refused.headers["retry-after"]
        wait_until(lambda: other.get(f"{API}/orderbook/ALICE").json()["asks"] != [])
        assert market.barrier() == head + 1, "the standby stored nothing in between"

        first.kill()  # kill -9: the lease goes with the process
        def takes_orders() -> bool:
            placed = other.post(f"{API}/orders", json=limit("ALICE", "buy", "1", "4"), headers=bob.headers)
            assert placed.status_code in (201, 503), placed.text
            return placed.status_code == 201

        wait_until(takes_orders, timeout=30, every=0.3)
        book = other.get(f"{API}/orderbook/ALICE").json()
        assert book["asks"] == [{"price": "1", "quantity": "6", "orders": 1}]
        usd = {b["asset"]: b for b in other.get(f"{API}/users/me/balances", headers=bob.headers).json()}["USD"]
        assert D(usd["total"]) == D(5000) - D(4) - D("0.02")  # 4 bought at 1 with the 0.5% taker fee, once

    first.start()  # the old leader comes back as the standby now
    wait_until(lambda: "standing by" in first.log())
    market.client = httpx.Client(base_url=first.url, timeout=30)
    problem(market.client.post(f"{API}/orders", json=limit("ALICE", "buy", "1", "1"), headers=bob.headers), 503,
            "engine_elsewhere")
    audit(second)


# ----- kill -9 with subscribers connected -----


def test_after_a_kill_9_under_load_every_acknowledged_and_every_announced_order_is_there_and_the_feed_equals_the_book(
    start_server: Callable[..., Server],
) -> None:
    market, traders = funded_market(start_server, PEOPLECOIN_SNAPSHOT_EVERY="200")
    server = market.server
    watched = traders[0]
    announced: dict[str, str] = {}  # order id -> the status the feed last told its owner
    book_sequence = [0]
    stop, watching = threading.Event(), threading.Event()

    def watch() -> None:
        with live(server) as ws:
            ws.send(json.dumps({"op": "auth", "token": watched.tokens["access_token"]}))
            subscribe(ws, "user_orders", "ALICE")
            book_sequence[0] = subscribe(ws, "orderbook", "ALICE")["sequence"]
            watching.set()
            try:
                while not stop.is_set():
                    message = json.loads(ws.recv(timeout=TIMEOUT))
                    if message.get("channel") == "user_orders" and message["type"] == "update":
                        announced[message["data"]["order"]["id"]] = message["data"]["order"]["status"]
                    elif message.get("channel") == "orderbook" and message["type"] == "update":
                        book_sequence[0] = message["sequence"]
            except Exception:
                return  # the server is gone

    acked: dict[str, tuple[Trader, str]] = {}
    lock = threading.Lock()

    def trade(trader: Trader, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not stop.is_set():
                side = rng.choice(("buy", "sell"))
                body = limit("ALICE", side, str(D(1) + D(rng.randint(-5, 5)) / 100), str(D(rng.randint(1, 200)) / 100),
                             time_in_force=rng.choice(("GTC", "GTC", "IOC")))
                try:
                    response = client.post(f"{API}/orders", json=body, headers=trader.headers)
                except httpx.TransportError:
                    return
                if response.status_code in (200, 201):
                    with lock:
                        acked[response.json()["order"]["id"]] = (trader, response.json()["order"]["status"])

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert watching.wait(TIMEOUT)
    threads = [threading.Thread(target=trade, args=(t, n)) for n, t in enumerate(traders)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acked) >= 250 and len(announced) >= 20, timeout=60, every=0.01)
    server.kill()
    stop.set()
    for thread in [*threads, watcher]:
        thread.join(30)
    seen_sequence = book_sequence[0]

    server.start()
    assert re.search(r"snapshot at [1-9]", server.log()), "the restart began from a snapshot"
    market.client = httpx.Client(base_url=server.url, timeout=30)
    for trader in traders:
        trader.client = market.client
    position = market.barrier()
    for order_id, (owner, status) in acked.items():
        found = owner.order(order_id, position)
        if status not in ("open", "partially_filled"):
            assert found["status"] == status
    rank = {"open": 0, "partially_filled": 1, "filled": 2, "cancelled": 2, "expired": 2}
    for order_id, status in announced.items():  # the feed never told of an order that was not stored
        found = watched.order(order_id, position)
        assert rank[found["status"]] >= rank[status], (order_id, status, found["status"])
    book = market.book("ALICE")
    assert book["sequence"] >= seen_sequence, "sequences go on after a restart; they never start again at 0"
    with live(server) as ws:
        snapshot = subscribe(ws, "orderbook", "ALICE")
    again = market.book("ALICE")
    assert snapshot["sequence"] == again["sequence"] == book["sequence"]
    assert snapshot["data"] == {"bids": again["bids"], "asks": again["asks"]}
    audit(server)


# ----- a database that refuses writes -----


@contextmanager
def failing_inserts(server: Server, backend: str) -> Iterator[None]:
    """Every insert into the event log fails, by a trigger in the database itself, until the block ends."""
    if backend == "embedded":
        path = Path(server.env["PEOPLECOIN_DATA_DIR"]) / "events.sqlite3"
        with sqlite3.connect(path, timeout=30) as db:
            db.execute(
                "CREATE TRIGGER fail_inserts BEFORE INSERT ON stored_events BEGIN SELECT RAISE(ABORT, 'injected'); END"
            )
        try:
            yield
        finally:
            with sqlite3.connect(path, timeout=30) as db:
                db.execute("DROP TRIGGER fail_inserts")
        return
    url = server.env["PEOPLECOIN_DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE FUNCTION fail_inserts() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ LANGUAGE plpgsql")
        db.execute("CREATE TRIGGER fail_inserts BEFORE INSERT ON stored_events FOR EACH STATEMENT EXECUTE FUNCTION fail_inserts()")
    try:
        yield
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("DROP TRIGGER fail_inserts ON stored_events")
            db.execute("DROP FUNCTION fail_inserts()")


def test_a_failed_commit_is_a_503_announces_nothing_and_trading_resumes_once_the_database_takes_writes(
    start_server: Callable[..., Server], backend: str
) -> None:
    market, (alice, bob, *_) = funded_market(start_server)
    server = market.server
    alice.placed(**limit("ALICE", "sell", "1", "10"))
    before = market.book("ALICE")
    with live(server) as ws:
        ws.send(json.dumps({"op": "auth", "token": bob.tokens["access_token"]}))
        subscribe(ws, "user_orders", "ALICE")
        subscribe(ws, "orderbook", "ALICE")
        with failing_inserts(server, backend):
            failed = bob.place(**limit("ALICE", "buy", "1", "3"))
            assert failed.status_code == 503 and failed.json()["code"] in ("commit_failed", "engine_recovering"), failed.text
            assert failed.headers["retry-after"]
            for _ in range(3):  # meanwhile: commands 503, reads answer from what is stored
                again = bob.place(**limit("ALICE", "buy", "1", "3"))
                assert again.status_code == 503, again.text
                assert market.book("ALICE")["asks"] == before["asks"]
                assert market.client.get(f"{API}/orders", headers=bob.headers).status_code == 200
                assert bob.balance("USD") == (D(5000), D(0))
            with pytest.raises(TimeoutError):
                ws.recv(timeout=1)  # nothing was announced: nothing was stored
        wait_until(lambda: bob.place(**limit("ALICE", "buy", "1", "3")).status_code == 201, every=0.3)
        update = json.loads(ws.recv(timeout=TIMEOUT))
        assert update["type"] == "update"
    assert market.book("ALICE")["asks"] == [{"price": "1", "quantity": "7", "orders": 1}]
    assert [o["status"] for o in bob.orders(position=market.barrier())] == ["filled"], "one order, the one stored"
    assert re.search(r"engine (recovered|rebuilt)", server.log())
    audit(server)


# ----- idempotency keys -----


def test_a_deposit_reference_credits_once_across_retries_and_a_restart(start_server: Callable[..., Server]) -> None:
    market, (alice, *_) = funded_market(start_server)
    body = {"address": alice.address, "asset": "USD", "amount": "25", "reference": "wire-2026-11-30-001"}
    first = market.client.post(f"{API}/admin/deposits", json=body, headers=market.admin.headers)
    assert first.status_code == 201, first.text
    again = market.client.post(f"{API}/admin/deposits", json={**body, "amount": "999"}, headers=market.admin.headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json() and first.json()["reference"] == body["reference"]
    market.server.kill()
    market.server.start()
    market.client = alice.client = market.admin.client = httpx.Client(base_url=market.server.url, timeout=30)
    after = market.client.post(f"{API}/admin/deposits", json=body, headers=market.admin.headers)
    assert after.status_code == 200 and after.json() == first.json()
    assert alice.balance("USD") == (D(5025), D(0))
    for bad in ("", " padded ", "x" * 101, "nul\u0000inside"):
        refused = market.client.post(f"{API}/admin/deposits", json={**body, "reference": bad}, headers=market.admin.headers)
        assert refused.status_code == 422 and refused.json()["code"] in ("invalid_reference", "invalid_text"), refused.text
    assert alice.balance("USD") == (D(5025), D(0))


def test_a_client_order_id_is_the_users_own_across_markets_while_its_order_is_open(
    start_server: Callable[..., Server],
) -> None:
    market, (alice, *_) = funded_market(start_server)
    market.list_token("BOBBY", alice)
    first = alice.placed(**limit("ALICE", "buy", "0.5", "2", client_order_id="mine"))["order"]
    elsewhere = alice.place(**limit("BOBBY", "buy", "0.7", "3", client_order_id="mine"))
    assert elsewhere.status_code == 200 and elsewhere.json()["order"] == first
    assert market.levels("BOBBY") == ([], [])
    assert alice.cancel(first["id"]).status_code == 200
    reused = alice.place(**limit("BOBBY", "buy", "0.7", "3", client_order_id="mine"))
    assert reused.status_code == 201 and reused.json()["order"]["id"] != first["id"]
    problem(alice.cancel(first["id"]), 409, "order_not_open")
    assert market.levels("BOBBY") == ([(Decimal("0.7"), Decimal(3), 1)], [])
