"""The real topology: two engines (one leads, one stands by), a projector, a settler and two api processes on
PostgreSQL and Redis, every process a ``peoplecoin`` subcommand of its own. Trading, sign-in and the live feed through
both api processes; the leading engine killed mid-flow (the standby takes over from the log: nothing
acknowledged lost, nothing doubled); an api process killed (its clients go to the other)."""

from __future__ import annotations

import itertools
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, audit_stores, deployment_env, server_env
from tests.e2e.helpers import API, bearer, challenge
from tests.e2e.test_live import live, receive, send
from tests.support.wallets import SECP256R1, Wallet

TIMEOUT = 30


@dataclass
class Deployment:
    tmp_path: Path
    shared: dict[str, str]
    servers: list[Server] = field(default_factory=list)

    def start(self, role: str) -> Server:
        home = self.tmp_path / f"{role}-{len(self.servers)}"
        home.mkdir()
        server = Server(server_env(home, **self.shared), home / "server.log", role=role)
        self.servers.append(server)
        return server.start()

    def logs(self) -> str:
        return "\n".join(f"--- {s.role} ---\n{s.log()[-3000:]}" for s in self.servers)


@pytest.fixture
def deployment(tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str) -> Iterator[Deployment]:
    admin = Wallet.new(SECP256R1)
    shared = deployment_env(
        postgres_url, redis_url, redis_prefix, admin.address,
        PEOPLECOIN_AUTH_DOMAIN="peoplecoin.test",
        PEOPLECOIN_AUTH_URI="https://peoplecoin.test",
        PEOPLECOIN_COMMAND_TIMEOUT="3",
        PEOPLECOIN_SETTLEMENT_SECONDS="0.5",
    )
    d = Deployment(tmp_path, shared)
    d.admin = admin  # type: ignore[attr-defined]
    yield d
    for server in d.servers:
        if server.process is not None:
            server.kill(signal.SIGKILL)
    audit_stores(d.servers[:1])  # one store: money conserved, every view equal to a replay


@dataclass
class Client:
    """One person's session, on one api process."""

    http: httpx.Client
    wallet: Wallet
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.tokens)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"{API}{path}", json=body, headers=self.headers)


def signed_in(on: Server, verify_on: Server, wallet: Wallet) -> Client:
    """The challenge from one api process, signed and verified on the other: their stores are shared."""
    first, second = httpx.Client(base_url=on.url, timeout=TIMEOUT), httpx.Client(base_url=verify_on.url, timeout=TIMEOUT)
    message = challenge(first, wallet)["message"]
    response = second.post(f"{API}/auth/verify", json={"address": wallet.address, "message": message, "signature": wallet.sign(message)})
    assert response.status_code == 200, response.text
    first.close()
    return Client(second, wallet, response.json())


def order(price: str, quantity: str, side: str, **more: Any) -> dict[str, Any]:
    return {"token_id": "ALICE", "side": side, "type": "limit", "price": price, "quantity": quantity, **more}


def test_trading_sign_in_and_the_feed_across_processes_survive_killing_the_engine_and_an_api(
    deployment: Deployment,
) -> None:
    d = deployment
    engine = d.start("engine")
    d.start("projector")
    settler = d.start("settler")
    api = [d.start("api"), d.start("api")]
    standby = d.start("engine")

    admin = signed_in(api[0], api[1], d.admin)  # type: ignore[attr-defined]
    assert "admin" in admin.tokens["user"]["roles"]
    seller, buyer = (signed_in(api[i], api[1 - i], Wallet.new()) for i in (0, 1))
    listed = admin.post("/admin/tokens", {"symbol": "ALICE", "name": "Alice", "creator_wallet_address": seller.wallet.address, "total_supply": "1000000"})
    assert listed.status_code == 201, listed.text
    for who in (buyer, seller):
        paid = admin.post("/admin/deposits", {"address": who.wallet.address, "asset": "USD", "amount": "100000"})
        assert paid.status_code == 201, paid.text

    # ----- trading and the live feed through both api processes -----
    with live(api[0]) as first, live(api[1]) as second:
        for ws in (first, second):
            send(ws, op="subscribe", channel="trades", token_id="ALICE")
            assert receive(ws)["type"] == "snapshot"
        sold = seller.post("/orders", order("2", "10", "sell"))  # on api[1]
        assert sold.status_code == 201, sold.text
        bought = buyer.post("/orders", order("2", "4", "buy"))  # on api[0]
        assert bought.status_code == 201, bought.text
        assert [D(f["quantity"]) for f in bought.json()["fills"]] == [D(4)]
        seen = [receive(ws) for ws in (first, second)]
        assert seen[0] == seen[1] and seen[0]["channel"] == "trades" and seen[0]["sequence"] >= 1
    assert buyer.http.get(f"{API}/users/me/balances", headers=buyer.headers).status_code == 200
    # the settler process settles it through the engine: the trade's proof, from either api process
    trade_id = bought.json()["fills"][0]["trade_id"]
    deadline = time.monotonic() + TIMEOUT
    while (proof := buyer.http.get(f"{API}/trades/{trade_id}/proof", headers=buyer.headers)).status_code != 200:
        assert time.monotonic() < deadline, (proof.text, d.logs())
        time.sleep(0.2)
    batch = httpx.get(f"{api[1].url}{API}/settlement/batches/{proof.json()['batch']}", timeout=TIMEOUT).json()
    assert batch["status"] == "confirmed" and batch["trade_count"] >= 1, batch
    repeat = seller.post("/orders", order("3", "1", "sell", client_order_id="resting-1"))
    assert repeat.status_code == 201, repeat.text
    again = httpx.Client(base_url=api[0].url, timeout=TIMEOUT).post(
        f"{API}/orders", json=order("3", "1", "sell", client_order_id="resting-1"), headers=seller.headers
    )
    assert (again.status_code, again.json()["order"]["id"]) == (200, repeat.json()["order"]["id"])  # the first, once

    # ----- the leading engine killed while orders flow through both api processes -----
    acknowledged: list[str] = []
    unknown: list[dict[str, Any]] = []
    positions = [0]
    stop = threading.Event()
    prices = itertools.count(1)

    def flow(index: int) -> None:
        with httpx.Client(base_url=api[index].url, timeout=TIMEOUT) as http:
            while not stop.is_set():
                n = next(prices)
                body = order(f"{1 + n % 90 / 100:.2f}", "1", "buy", client_order_id=f"flow-{n}")  # resting bids
                response = http.post(f"{API}/orders", json=body, headers=buyer.headers)
                if response.status_code in (200, 201):  # 200: carried out by the dead engine, answered by the next
                    acknowledged.append(response.json()["order"]["id"])
                    positions.append(int(response.headers["x-event-position"]))
                elif response.status_code == 503:
                    assert response.headers.get("retry-after"), response.headers
                    unknown.append(body)
                else:
                    raise AssertionError(response.text)

    workers = [threading.Thread(target=flow, args=(i,)) for i in (0, 1)]
    for w in workers:
        w.start()
    time.sleep(1.5)
    before_kill = len(acknowledged)
    engine.kill(signal.SIGKILL)
    deadline = time.monotonic() + TIMEOUT
    while len(acknowledged) < before_kill + 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    for w in workers:
        w.join(TIMEOUT)
    assert len(acknowledged) >= before_kill + 20, d.logs()  # the standby took over and answers
    assert before_kill > 0

    # a 503 was "outcome unknown": the same client_order_id again answers the first order or places it now
    for body in unknown:
        retried = buyer.post("/orders", body)
        assert retried.status_code in (200, 201), retried.text
        acknowledged.append(retried.json()["order"]["id"])
        positions.append(int(retried.headers["x-event-position"]))
    mine = buyer.http.get(
        f"{API}/orders", params={"status": "open", "limit": 500, "min_position": max(positions)}, headers=buyer.headers
    )
    assert mine.status_code == 200, mine.text
    open_ids = [o["id"] for o in mine.json()["items"]]
    flows = [o["client_order_id"] for o in mine.json()["items"] if (o["client_order_id"] or "").startswith("flow-")]
    assert len(flows) == len(set(flows))  # never two orders for one client_order_id
    assert set(acknowledged) <= set(open_ids)  # nothing acknowledged lost
    assert len(set(acknowledged)) == len(flows)

    # ----- an api process killed: its clients reconnect to the other -----
    with live(api[0]) as ws:
        send(ws, op="subscribe", channel="orderbook", token_id="ALICE")
        assert receive(ws)["type"] == "snapshot"
        api[0].kill(signal.SIGKILL)
        with pytest.raises(Exception):
            ws.recv(timeout=10)  # the connection is gone
    with live(api[1]) as ws:
        send(ws, op="subscribe", channel="orderbook", token_id="ALICE")
        book = receive(ws)
        assert book["type"] == "snapshot"
        rest = httpx.get(f"{api[1].url}{API}/orderbook/ALICE", timeout=TIMEOUT).json()
        assert book["data"]["bids"] == rest["bids"] and len(rest["bids"]) > 0
        sold = seller.post("/orders", order("1.01", "1", "sell"))  # seller's session is on api[1]
        assert sold.status_code == 201, sold.text
        assert receive(ws)["channel"] == "orderbook"
    assert standby.process is not None

    # ----- snapshots come from the leading settler's market (an engine process keeps none) -----
    assert "market loaded" not in standby.log() and "snapshot written" not in standby.log()
    settler.kill(signal.SIGTERM)  # a clean stop writes a last snapshot
    written = re.findall(r"snapshot written at position (\d+)", settler.log())
    assert written, settler.log()[-3000:]
    standby.kill(signal.SIGTERM)
    restarted = d.start("engine")
    rebuilt = re.search(r"engine rebuilt: snapshot at (\d+), (\d+) events after it, head (\d+)", restarted.log())
    assert rebuilt is not None and int(rebuilt[1]) == int(written[-1]) > 0, restarted.log()[-3000:]
    again = seller.post("/orders", order("1.02", "1", "sell"))
    assert again.status_code == 201, again.text
