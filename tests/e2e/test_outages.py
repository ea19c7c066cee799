"""A backing service that goes away under a real server: answers are 503 with Retry-After, never 500, and
everything works again once it is back."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_trading import limit, problem, start_market


class Relay:
    """A TCP relay to a server that a test can cut (every connection reset, new ones refused) and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it; close() alone would not
            except OSError:
                pass
            listener.close()
        with self._lock:
            for conn in self._open:
                try:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    conn.close()  # a reset, as a crashed server or a cut network gives
                except OSError:
                    pass
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.close()
            except OSError:
                pass


@pytest.fixture
def relay(redis_url: str) -> Iterator[Relay]:
    parts = urlsplit(redis_url)
    r = Relay(parts.hostname or "127.0.0.1", parts.port or 6379)
    yield r
    r.cut()


@pytest.mark.parametrize("backend", ["postgres"])  # the backend that uses Redis
def test_when_redis_goes_away_signed_in_requests_are_503_never_500_and_all_is_well_once_it_is_back(
    start_server: Callable[..., Server], relay: Relay, redis_url: str, backend: str
) -> None:
    market = start_market(start_server, PEOPLECOIN_REDIS_URL=redis_url.replace(f":{urlsplit(redis_url).port}", f":{relay.port}"))
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100")
    buyer.placed(**limit("ALICE", "buy", "0.5", "10"))

    relay.cut()
    deadline = time.monotonic() + 15
    seen: set[int] = set()
    while time.monotonic() < deadline and 503 not in seen:
        response = market.client.get("/api/v1/users/me/balances", headers=buyer.headers)
        seen.add(response.status_code)
        assert response.status_code in (200, 503), response.text  # trusted for a second, then the store is asked
        time.sleep(0.2)
    problem(market.client.get("/api/v1/users/me/balances", headers=buyer.headers), 503, "service_unavailable")
    assert market.client.get("/api/v1/orderbook/ALICE").status_code == 200, "what needs no Redis still answers"

    relay.restore()
    deadline = time.monotonic() + 15
    while market.client.get("/api/v1/users/me/balances", headers=buyer.headers).status_code != 200:
        assert time.monotonic() < deadline, "the server did not come back with Redis"
        time.sleep(0.2)
    assert buyer.place(**limit("ALICE", "buy", "0.5", "10", client_order_id="after")).status_code == 201
    with httpx.Client(base_url=market.server.url) as fresh:
        assert fresh.get("/api/v1/orderbook/ALICE").json()["bids"] == [{"price": "0.5", "quantity": "20", "orders": 2}]
    assert "unhandled error" not in market.server.log()
