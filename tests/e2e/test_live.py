"""The WebSocket through real server processes: snapshots, exact sequences, gaps, errors, two processes on Redis."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import Server, deployment_env, server_env
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import ED25519, SECP256K1, SECP256R1, Wallet

TIMEOUT = 10


class Market:
    """A server with a listed token ALICE, a seller holding it and a buyer holding dollars."""

    def __init__(self, server: Server, admin: Wallet) -> None:
        self.server = server
        self.client = server.client()
        self.admin = bearer(sign_in(self.client, admin))
        self.seller_wallet, self.buyer_wallet = Wallet.new(SECP256K1), Wallet.new(SECP256R1)
        self.seller_tokens = sign_in(self.client, self.seller_wallet)
        self.buyer_tokens = sign_in(self.client, self.buyer_wallet)
        listed = self.client.post(
            f"{API}/admin/tokens",
            json={"symbol": "ALICE", "name": "Alice", "creator_wallet_address": self.seller_wallet.address, "total_supply": "1000"},
            headers=self.admin,
        )
        assert listed.status_code == 201, listed.text
        self.token_id = listed.json()["id"]
        deposit = self.client.post(
            f"{API}/admin/deposits", json={"address": self.buyer_wallet.address, "asset": "USD", "amount": "1000"}, headers=self.admin
        )
        assert deposit.status_code == 201, deposit.text

    def order(self, who: str, side: str, price: str, quantity: str) -> dict[str, Any]:
        tokens = self.seller_tokens if who == "seller" else self.buyer_tokens
        placed = self.client.post(
            f"{API}/orders",
            json={"token_id": "ALICE", "side": side, "type": "limit", "price": price, "quantity": quantity},
            headers=bearer(tokens),
        )
        assert placed.status_code == 201, placed.text
        return placed.json()


@pytest.fixture
def market(start_server: Callable[..., Server]) -> Iterator[Market]:
    admin = Wallet.new(ED25519)
    m = Market(start_server(PEOPLECOIN_ADMIN_ADDRESSES=admin.address, PEOPLECOIN_RATE_LIMITS="off"), admin)
    yield m
    m.client.close()


@contextmanager
def live(server: Server) -> Iterator[ClientConnection]:
    with connect(server.url.replace("http", "ws") + f"{API}/ws", open_timeout=TIMEOUT) as ws:
        yield ws


def send(ws: ClientConnection, **message: object) -> None:
    ws.send(json.dumps(message))


def receive(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=TIMEOUT))


def subscribe(ws: ClientConnection, channel: str, token: str = "ALICE") -> dict[str, Any]:
    send(ws, op="subscribe", channel=channel, token_id=token)
    snapshot = receive(ws)
    assert (snapshot["channel"], snapshot["type"]) == (channel, "snapshot"), snapshot
    return snapshot


def updates(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    return [receive(ws) for _ in range(count)]


def test_a_subscriber_gets_a_snapshot_then_every_update_in_sequence(market: Market) -> None:
    market.order("seller", "sell", "2", "10")
    with live(market.server) as ws:
        send(ws, op="auth", token=market.buyer_tokens["access_token"])
        assert receive(ws) == {"type": "authenticated"}
        book = subscribe(ws, "orderbook")
        assert book["data"] == {"bids": [], "asks": [{"price": "2", "quantity": "10", "orders": 1}]}
        assert book["token_id"] == market.token_id
        trades = subscribe(ws, "trades")
        price = subscribe(ws, "price")
        assert price["data"]["best_ask"] == "2"
        mine = subscribe(ws, "user_orders")
        assert mine["data"] == {"orders": []}

        bought = market.order("buyer", "buy", "2.5", "4")  # fills 4 at 2
        rested = market.order("buyer", "buy", "1.5", "3")  # rests
        received = updates(ws, 7)
        by_channel: dict[str, list[dict[str, Any]]] = {}
        for message in received:
            assert message["type"] == "update" and message["token_id"] == market.token_id
            by_channel.setdefault(message["channel"], []).append(message)
        assert [m["sequence"] for m in by_channel["orderbook"]] == [book["sequence"] + 1, book["sequence"] + 2]
        # only the ask level it took from changed: the buy at 2.5 filled at once and never rested
        assert by_channel["orderbook"][0]["data"]["levels"] == [{"side": "sell", "price": "2", "quantity": "6"}]
        assert by_channel["orderbook"][1]["data"]["levels"] == [{"side": "buy", "price": "1.5", "quantity": "3"}]
        [trade] = by_channel["trades"]
        assert trade["sequence"] == trades["sequence"] + 1
        assert (trade["data"]["price"], trade["data"]["quantity"], trade["data"]["taker_side"]) == ("2", "4", "buy")
        assert trade["data"]["id"] == bought["fills"][0]["trade_id"]
        assert [m["sequence"] for m in by_channel["price"]] == [price["sequence"] + 1, price["sequence"] + 2]
        assert by_channel["price"][-1]["data"]["price"] == "2" and by_channel["price"][-1]["data"]["best_bid"] == "1.5"
        assert [m["sequence"] for m in by_channel["user_orders"]] == [mine["sequence"] + 1, mine["sequence"] + 2]
        first, second = (m["data"] for m in by_channel["user_orders"])
        assert first["order"]["id"] == bought["order"]["id"] and first["order"]["status"] == "filled"
        assert first["fills"] == bought["fills"]
        assert second["order"] == rested["order"] and second["fills"] == []


def test_a_client_that_misses_an_update_sees_the_gap_and_resubscribes_to_the_current_book(market: Market) -> None:
    with live(market.server) as ws:
        start = subscribe(ws, "orderbook")
        for price in ("3", "3.1", "3.2"):
            market.order("seller", "sell", price, "1")
        first, _missed, third = updates(ws, 3)
        assert third["sequence"] - first["sequence"] == 2 and first["sequence"] == start["sequence"] + 1
        # the client dropped the middle one: it sees first.sequence + 2 and resubscribes
        send(ws, op="unsubscribe", channel="orderbook", token_id="ALICE")
        assert receive(ws)["type"] == "unsubscribed"
        again = subscribe(ws, "orderbook")
        assert again["sequence"] >= third["sequence"]
        rest = market.client.get(f"{API}/orderbook/ALICE").json()
        assert again["data"] == {"bids": rest["bids"], "asks": rest["asks"]}
        assert [a["price"] for a in again["data"]["asks"]] == ["3", "3.1", "3.2"]


def test_bad_messages_get_clear_errors_and_the_connection_lives_on(market: Market) -> None:
    with live(market.server) as ws:
        ws.send("{not json")
        assert receive(ws)["code"] == "malformed_json"
        send(ws, op="dance")
        assert receive(ws)["code"] == "unknown_op"
        send(ws, op="subscribe", channel="gossip", token_id="ALICE")
        assert receive(ws)["code"] == "unknown_channel"
        send(ws, op="subscribe", channel="trades", token_id="NOPE")
        assert receive(ws)["code"] == "unknown_token"
        send(ws, op="subscribe", channel="user_orders", token_id="ALICE")
        assert receive(ws)["code"] == "auth_required"
        send(ws, op="auth", token="forged")
        assert receive(ws)["code"] == "invalid_token"
        send(ws, op="unsubscribe", channel="trades", token_id="ALICE")
        assert receive(ws)["code"] == "not_subscribed"
        subscribe(ws, "trades")
        send(ws, op="subscribe", channel="trades", token_id="ALICE")
        assert receive(ws)["code"] == "already_subscribed"
        send(ws, op="ping")
        assert receive(ws) == {"type": "pong"}


def test_the_websocket_rate_limit_refuses_messages_beyond_it(start_server: Callable[..., Server]) -> None:
    server = start_server(PEOPLECOIN_RATE_LIMITS="ws=3/minute")
    with live(server) as ws:
        for _ in range(3):
            send(ws, op="ping")
            assert receive(ws) == {"type": "pong"}
        send(ws, op="ping")
        assert receive(ws)["code"] == "rate_limited"


def test_two_server_processes_on_redis_deliver_the_same_stream(tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str) -> None:
    admin = Wallet.new(ED25519)
    shared = deployment_env(postgres_url, redis_url, redis_prefix, admin.address)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    engine = Server(server_env(tmp_path / "a", **shared), tmp_path / "a.log").start()
    reader: Server | None = None
    try:
        market = Market(engine, admin)
        reader = Server(server_env(tmp_path / "b", **shared, PEOPLECOIN_ENGINE="off"), tmp_path / "b.log").start()
        with live(engine) as on_engine, live(reader) as on_reader:
            snapshots = [subscribe(ws, "trades") for ws in (on_engine, on_reader)]
            books = [subscribe(ws, "orderbook") for ws in (on_engine, on_reader)]
            assert snapshots[0] == snapshots[1] and books[0] == books[1]
            market.order("seller", "sell", "1", "5")
            market.order("buyer", "buy", "1", "2")
            market.order("buyer", "buy", "1", "3")
            streams = [updates(ws, 5) for ws in (on_engine, on_reader)]
            # the same updates with the same sequences on each channel (channels interleave as they will)
            by_channel = [{c: [m for m in stream if m["channel"] == c] for c in ("trades", "orderbook")} for stream in streams]
            assert by_channel[0] == by_channel[1]
            assert len(by_channel[0]["trades"]) == 2
        with httpx.Client(base_url=reader.url) as client:
            refused = client.post(
                f"{API}/orders",
                json={"token_id": "ALICE", "side": "buy", "type": "limit", "price": "1", "quantity": "1"},
                headers=bearer(market.buyer_tokens),
            )
            assert (refused.status_code, refused.json()["code"]) == (503, "engine_elsewhere")
            # it follows the engine's log: a token listed after it started, and the book as it stands now
            listed = market.client.post(
                f"{API}/admin/tokens",
                json={"symbol": "LATER", "name": "Later", "creator_wallet_address": market.seller_wallet.address, "total_supply": "5"},
                headers=market.admin,
            )
            assert listed.status_code == 201, listed.text
            for _ in range(50):
                if client.get(f"{API}/tokens/LATER").status_code == 200:
                    break
                time.sleep(0.1)
            assert client.get(f"{API}/tokens/LATER").json()["symbol"] == "LATER"
            assert client.get(f"{API}/orderbook/ALICE").json()["bids"] == market.client.get(f"{API}/orderbook/ALICE").json()["bids"]
        market.client.close()
    finally:
        for server in (reader, engine):
            if server is not None and server.process is not None:
                server.kill()


def test_prices_in_updates_match_the_rest_api(market: Market) -> None:
    market.order("seller", "sell", "1.25", "8")
    with live(market.server) as ws:
        subscribe(ws, "price")
        market.order("buyer", "buy", "1.25", "8")
        update = receive(ws)
        token = market.client.get(f"{API}/tokens/ALICE").json()
        assert D(update["data"]["price"]) == D(token["price"]) == D("1.25")
        assert update["data"]["best_ask"] is None


def test_candles_and_the_ticker_agree_with_the_trades(market: Market) -> None:
    for price, quantity in (("1.5", "2"), ("1.7", "1"), ("1.4", "3"), ("1.6", "4")):
        market.order("seller", "sell", price, quantity)
        market.order("buyer", "buy", price, quantity)
    token = market.client.get(f"{API}/tokens/ALICE").json()
    assert (D(token["price"]), D(token["high_24h"]), D(token["low_24h"])) == (D("1.6"), D("1.7"), D("1.4"))
    assert D(token["volume_24h"]) == D(10)
    assert D(token["quote_volume_24h"]) == D("1.5") * 2 + D("1.7") + D("1.4") * 3 + D("1.6") * 4
    assert D(token["market_cap"]) == D("1.6") * D(token["circulating_supply"])
    assert token["holders_count"] == 2
    candles = market.client.get(f"{API}/tokens/ALICE/price-history", params={"interval": "1d"}).json()
    last = candles[-1]
    assert (D(last["open"]), D(last["high"]), D(last["low"]), D(last["close"])) == (D("1.5"), D("1.7"), D("1.4"), D("1.6"))
    assert (D(last["volume"]), last["trades"]) == (D(10), 4)
    minutes = market.client.get(f"{API}/tokens/ALICE/price-history", params={"interval": "1m"}).json()
    assert sum(D(c["volume"]) for c in minutes) == D(10)
    assert all(c["trades"] == 0 and c["open"] == c["close"] for c in minutes if D(c["volume"]) == 0)
    times = [c["t"] for c in minutes]
    assert times == sorted(times) and len(set(times)) == len(times)
    holders = market.client.get(f"{API}/tokens/ALICE/holders").json()["items"]
    assert [(h["wallet_address"], D(h["quantity"])) for h in holders] == [
        (market.seller_wallet.address, D(990)),
        (market.buyer_wallet.address, D(10)),
    ]
    assert D(holders[1]["share"]) == D("0.01")
    public = market.client.get(f"{API}/tokens/ALICE/transactions").json()["items"]
    assert [D(t["price"]) for t in public] == [D("1.6"), D("1.4"), D("1.7"), D("1.5")]
    ledger = market.client.get(f"{API}/transactions", headers=bearer(market.buyer_tokens)).json()["items"]
    spent = sum(D(t["amount"]) for t in ledger if t["asset"] == "USD" and t["type"] in ("trade", "fee"))
    balance = {b["asset"]: b for b in market.client.get(f"{API}/users/me/balances", headers=bearer(market.buyer_tokens)).json()}
    assert D(1000) + spent == D(balance["USD"]["total"])
