"""Rate limits, connection caps and the end of a WebSocket session, through real server processes.

Waits are bounded (a message that must come is awaited up to TIMEOUT seconds);
nothing asserts how fast anything was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from tests.e2e.conftest import Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.e2e.test_live import TIMEOUT, Market, live, receive, send, subscribe
from tests.support.wallets import ED25519, Wallet

SECRET = {"PEOPLECOIN_JWT_SECRET": "one secret for every process of a deployment, long enough"}


def market_on(start_server: Callable[..., Server], **env: str) -> Market:
    admin = Wallet.new(ED25519)
    env.setdefault("PEOPLECOIN_RATE_LIMITS", "off")
    return Market(start_server(PEOPLECOIN_ADMIN_ADDRESSES=admin.address, **env), admin)


@pytest.fixture
def market(start_server: Callable[..., Server]) -> Iterator[Market]:
    m = market_on(start_server)
    yield m
    m.client.close()


def until(ws: ClientConnection, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every message up to and including the first that ``done`` accepts."""
    seen = [receive(ws)]
    while not done(seen[-1]):
        seen.append(receive(ws))
    return seen


def is_trade(message: dict[str, Any]) -> bool:
    return message.get("channel") == "trades" and message.get("type") == "update"


def end_session(market: Market, how: str) -> None:
    """End the buyer's session as a client would, then sign the buyer in afresh (a new session)."""
    if how == "logout":
        assert market.client.post(f"{API}/auth/logout", headers=bearer(market.buyer_tokens)).status_code == 204
    else:
        rotated = market.client.post(f"{API}/auth/refresh", json={"refresh_token": market.buyer_tokens["refresh_token"]})
        assert rotated.status_code == 200, rotated.text
        reused = market.client.post(f"{API}/auth/refresh", json={"refresh_token": market.buyer_tokens["refresh_token"]})
        assert reused.json()["code"] == "refresh_token_reused"
    market.buyer_tokens = sign_in(market.client, market.buyer_wallet)


@pytest.mark.parametrize("how", ["logout", "refresh_reuse"])
def test_when_the_session_ends_user_orders_stop_with_session_ended_and_trades_go_on(market: Market, how: str) -> None:
    with live(market.server) as ws:
        send(ws, op="auth", token=market.buyer_tokens["access_token"])
        assert receive(ws) == {"type": "authenticated"}
        subscribe(ws, "trades")
        subscribe(ws, "user_orders")
        end_session(market, how)
        ended = receive(ws)
        assert (ended["type"], ended["code"]) == ("error", "session_ended") and ended["message"]

        market.order("seller", "sell", "1", "5")
        market.order("buyer", "buy", "1", "2")  # would be a user_orders update, were that channel still going
        market.order("buyer", "buy", "1", "3")  # published after it: its trade update comes after it would have
        seen = until(ws, is_trade)
        seen += until(ws, is_trade)
        assert [m["channel"] for m in seen] == ["trades", "trades"], seen

        send(ws, op="auth", token=market.buyer_tokens["access_token"])  # the new session may follow them again
        assert receive(ws) == {"type": "authenticated"}
        again = subscribe(ws, "user_orders")
        assert again["data"] == {"orders": []}


@pytest.mark.parametrize("backend", ["embedded"])
def test_when_the_access_token_expires_user_orders_stop_with_session_ended(start_server: Callable[..., Server]) -> None:
    market = market_on(start_server, PEOPLECOIN_ACCESS_TOKEN_SECONDS="6")
    tokens = sign_in(market.client, market.buyer_wallet)
    with live(market.server) as ws:
        send(ws, op="auth", token=tokens["access_token"])
        assert receive(ws) == {"type": "authenticated"}
        subscribe(ws, "trades")
        subscribe(ws, "user_orders")
        ended = receive(ws)  # within TIMEOUT (10 s): the token lives 6 s, the sweep runs every second
        assert (ended["type"], ended["code"]) == ("error", "session_ended")
        expired = market.client.get(f"{API}/categories", headers=bearer(tokens))
        assert (expired.status_code, expired.json()["code"]) == (401, "token_expired")
        send(ws, op="unsubscribe", channel="user_orders", token_id="ALICE")
        assert receive(ws)["code"] == "not_subscribed"
        send(ws, op="unsubscribe", channel="trades", token_id="ALICE")
        assert receive(ws)["type"] == "unsubscribed"
    market.client.close()


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_bad_token_is_a_401_with_its_code_on_any_route_and_still_counts_against_its_ip(
    start_server: Callable[..., Server],
) -> None:
    server = start_server(PEOPLECOIN_RATE_LIMITS="public=4/minute")
    with server.client() as client:
        tokens = sign_in(client, Wallet.new(ED25519))  # two public requests
        assert client.post(f"{API}/auth/logout", headers=bearer(tokens)).status_code == 204  # the user's tier
        revoked = client.get(f"{API}/categories", headers=bearer(tokens))
        assert (revoked.status_code, revoked.json()["code"]) == (401, "session_revoked")
        assert revoked.headers["www-authenticate"] == "Bearer"
        forged = client.get(f"{API}/categories", headers={"Authorization": "Bearer forged"})
        assert (forged.status_code, forged.json()["code"]) == (401, "invalid_token")
        limited = client.get(f"{API}/categories")
        assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")


@pytest.mark.parametrize("backend", ["embedded"])
def test_only_the_operations_paths_themselves_are_exempt(start_server: Callable[..., Server]) -> None:
    server = start_server(PEOPLECOIN_RATE_LIMITS="public=2/minute")
    with server.client() as client:
        exempt = ("/health", "/ready", "/metrics", "/schema", "/schema/openapi.json", "/schema/scalar", "/schema/swagger")
        for path in exempt * 3:
            response = client.get(path)
            assert response.status_code == 200 and "ratelimit-limit" not in response.headers, path
        first = client.get(f"{API}/orderbook/readycoin")
        assert (first.status_code, first.headers["ratelimit-remaining"]) == (404, "1")
        assert client.get("/schema/healthy").headers["ratelimit-remaining"] == "0"
        limited = client.get(f"{API}/orderbook/metrics")
        assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
        assert 0 < int(limited.headers["retry-after"]) <= 60


def test_websocket_messages_count_against_the_ip_across_all_its_connections(start_server: Callable[..., Server]) -> None:
    server = start_server(PEOPLECOIN_RATE_LIMITS="ws=5/minute")
    with live(server) as a, live(server) as b, live(server) as c:
        answers = []
        for _ in range(3):
            for ws in (a, b, c):
                send(ws, op="ping")
                answers.append(receive(ws))
    assert answers.count({"type": "pong"}) == 5
    assert [m.get("code") for m in answers[5:]] == ["rate_limited"] * 4


def refused(ws: ClientConnection) -> int:
    """The close code after a too_many_connections error."""
    assert receive(ws)["code"] == "too_many_connections"
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


@contextmanager
def live_once_freed(server: Server) -> Iterator[ClientConnection]:
    """A connection, once the server has let go of a slot it is releasing (bounded: TIMEOUT)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        with live(server) as ws:
            send(ws, op="ping")
            answer = receive(ws)
            if answer == {"type": "pong"}:
                yield ws
                return
            assert answer["code"] == "too_many_connections" and time.monotonic() < deadline
        time.sleep(0.05)


def test_connections_are_capped_per_ip_and_per_user(start_server: Callable[..., Server]) -> None:
    market = market_on(start_server, PEOPLECOIN_RATE_LIMITS="connections_per_ip=2,connections_per_user=1")
    with live(market.server) as first, live(market.server) as second:
        for admitted in (first, second):  # a connection is counted just after its handshake: wait until it is
            send(admitted, op="ping")
            assert receive(admitted) == {"type": "pong"}
        with live(market.server) as third:
            assert refused(third) == 4429
        first.close()
        with live_once_freed(market.server) as fourth:
            send(second, op="auth", token=market.buyer_tokens["access_token"])
            assert receive(second) == {"type": "authenticated"}
            send(fourth, op="auth", token=sign_in(market.client, market.buyer_wallet)["access_token"])
            assert refused(fourth) == 4429
        send(second, op="ping")
        assert receive(second) == {"type": "pong"}
    market.client.close()


@pytest.mark.parametrize("backend", ["postgres"])
def test_two_processes_on_one_redis_share_limits_caps_and_session_ends(start_server: Callable[..., Server]) -> None:
    admin = Wallet.new(ED25519)
    settings = {**SECRET, "PEOPLECOIN_ADMIN_ADDRESSES": admin.address}
    limits = "public=100/minute,authenticated=1000/minute,connections_per_ip=2"
    market = Market(start_server(**settings, PEOPLECOIN_RATE_LIMITS=limits), admin)
    reader = start_server(**settings, PEOPLECOIN_RATE_LIMITS=limits, PEOPLECOIN_ENGINE="off")

    with live(reader) as elsewhere:  # the session ends on the engine's process; the reader's connection hears it
        send(elsewhere, op="auth", token=market.buyer_tokens["access_token"])
        assert receive(elsewhere) == {"type": "authenticated"}
        subscribe(elsewhere, "user_orders")
        end_session(market, "logout")
        assert receive(elsewhere)["code"] == "session_ended"
        with live(market.server) as here:
            send(here, op="ping")
            assert receive(here) == {"type": "pong"}
            with live(reader) as third:
                assert refused(third) == 4429

    clients = [httpx.Client(base_url=s.url, timeout=30) for s in (market.server, reader) * 4]
    try:
        remaining = [int(client.get(f"{API}/categories").headers["ratelimit-remaining"]) for client in clients[:4]]
        assert remaining == list(range(remaining[0], remaining[0] - 4, -1))  # one count, whichever process answers
        with ThreadPoolExecutor(16) as pool:
            burst = list(pool.map(lambda i: clients[i % 8].get(f"{API}/categories").status_code, range(remaining[-1] + 40)))
        assert (burst.count(200), burst.count(429)) == (remaining[-1], 40)
    finally:
        for client in clients:
            client.close()
        market.client.close()
