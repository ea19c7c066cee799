"""The WebSocket delivery benchmark: trades over HTTP, their updates fanned out to thousands of live clients.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.ws_load [--clients 1000,10000] [--trades N] [--rate R]
        [--backend sqlite|postgres] [--redis] [--topology] [--deflate] [--book-share 0.1] [--profile]

It starts ``peoplecoin serve`` as ``bench.http_load`` does (its ``Server``,
sign-in, listing and deposits are reused: a fresh data dir, rate limits off),
lists one token and funds a seller and a buyer. Then, for each client count N
(one server for all of them, the counts run in order):

1. a separate load-generator process (this module with ``--loadgen``: the
   standard library on uvloop when it is installed, raw sockets and a
   hand-written WebSocket client, an ``asyncio.Protocol`` of a few attributes
   per connection, so 10,000 fit in one process) opens N WebSocket
   connections to ``/api/v1/ws``; each subscribes to ``trades`` of the token
   and a share of them (``--book-share``, 10 %) also to ``orderbook``, and is
   ready once it holds its snapshots;
2. this process places ``--trades`` trades at ``--rate`` a second, open loop
   (each trade is its own task, so a slow answer does not slow the pace): a
   resting GTC sell by the seller, then, once it is acknowledged, an IOC buy
   by the buyer at the same price and quantity, which trades against it;
3. the load generator takes every update as it arrives; for each ``trades``
   update it records the delivery lag, its receive time minus the trade's
   ``timestamp`` in the message. Server and load generator share one
   machine and so one clock (``CLOCK_REALTIME``): the lag needs no clock
   sync. The timestamp is when the engine executed the trade, so the lag
   covers the durable commit, the feed's publish and the fan-out;
4. once the trades are placed, one more connection subscribes to both
   channels: its snapshots' sequences are the server's own count of the
   updates published, so every client's expected updates are that minus its
   snapshot's sequence (for ``trades``, = trades executed: checked against
   this process's count). The load generator waits until every client has
   all of them, or until nothing has arrived for ``--idle`` seconds, then
   reports any client that is short, by how many, and any gap or duplicate
   in its sequences, and every close code it was sent (``4008``: too slow).

Per N it prints: clients connected, updates delivered against expected
(trades x clients; orderbook updates x its subscribers), the clients that
missed any, lag p50 / p99 / max, the messages per second the server
delivered (every update received / the wall time of the delivery, from the
first trade's timestamp to the last update received), the server's CPU
during that window (from ``/proc/<pid>/stat``, % of one core) and how long
its event-loop thread waited for a core, the load generator's CPU (if it is
near 100 % the figures are its limit, not the server's), close codes.

The server runs pinned to the first core (not with ``--topology``: below),
the load generator (and this process, and py-spy) to the second, as in
``bench.http_load``. Open files:
the load generator raises its own limit with ``resource.setrlimit``; this
process raises its own before starting the server, which inherits it
(``http_load.Server`` owns the server's ``preexec_fn`` for pinning); the
server's limit is read back from ``/proc/<pid>/limits`` and printed.

``--deflate``: the clients offer ``permessage-deflate`` as browsers do
(uvicorn accepts it by default), so the server compresses every message
once per connection; the load generator inflates. ``--redis``: the server
also has Redis (sessions, limits, append nudges); every process renders the
feed from its own reading of the log either way. ``--profile``: py-spy records
the server during delivery (``bench.http_profile``'s summary).

``--topology``: instead of ``serve``, the multi-process deployment on
PostgreSQL and Redis, set up as ``bench.scaleout`` sets it up (its
``TOPOLOGY`` and ``project_env``: one database, one fresh Redis prefix, one
JWT secret, a data dir each): ``engine``, ``projector`` and two ``api``.
Not scaleout's ``settler``: no channel followed here depends on settlement,
and it would follow the whole log as the apis do and every 10 s drive a
batch through the engine, CPU on the same cores that is no part of the
delivery (``serve``, for its part, does settle in its own process). Each api
follows the log itself (the engine's appends nudge it over Redis pub/sub)
and fans out to its own connections, so the load generator spreads its
clients over the two api ports round-robin (client i on ``ports[i % 2]``;
the orderbook share is taken a pair of clients at a time, so each api gets
as many); set-up and trades go through api-1 (to the engine over Redis
Streams), and the final probe connects to api-1. ``srv CPU`` is then the
two apis' sum (api-1's includes the trades' HTTP requests; the engine's and
projector's work, which ``serve``'s figure holds, is not in it), and below
the table each api's, the engine's and the projector's. The servers may run on every
core (four of them pinned to one would measure the pinning); the load
generator and this process stay on the second core as above. ``--backend`` and ``--redis`` do not apply; ``--profile``
records api-1.

A default run (1,000 then 10,000 clients, 200 trades offered at 20/s, i.e.
10 s of trading) takes about a minute and a half: with 10,000 clients the
server cannot keep 20 trades/s, so those 200 trades take about a minute.
Nothing asserts a figure.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import base64
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v1/ws"
TRADES, BOOK = 0, 1
CHANNELS = ("trades", "orderbook")
OPEN_FILES = 65_536
KEY = base64.b64encode(b"peoplecoin-bench").decode()  # Sec-WebSocket-Key: any 16 bytes, base64


# ----- the load generator: its own process ---------------------------------------------------------------------------


def raise_open_files(want: int = OPEN_FILES) -> int:
    """Raise this process's open-files limit (soft and, as root, hard) towards ``want``; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else max(hard, want)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, target))
    except (ValueError, OSError):  # not root: the hard limit is the ceiling
        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One masked (client-to-server) frame, FIN set."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65_536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return head + mask + (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")


class HandshakeFailed(Exception):
    """The server did not upgrade the connection, or closed it before the snapshots."""


class Tally:
    """What every client received, shared by all of them (the hot path touches only this and its own client)."""

    def __init__(self, token_id: str) -> None:
        prefix = '{"channel":"%s","token_id":"' + token_id + '","type":"update","sequence":'
        self.prefixes = ((prefix % "trades").encode(), (prefix % "orderbook").encode())
        self.lags = array.array("d")  # seconds, one per trades update received
        self.received = [0, 0]  # updates in sequence order (neither duplicate nor stale), per channel
        self.duplicates = [0, 0]
        self.coalesced = [0, 0]  # updates a client behind was sent a fresh snapshot instead of, per channel
        self.first_receive = 0.0
        self.last_receive = 0.0
        self.trade_times: dict[bytes, float] = {}  # the trade's timestamp text -> epoch seconds
        self.per_second: Counter[int] = Counter()  # updates received per wall-clock second
        self.closes: Counter[str] = Counter()  # close codes sent by the server, "1006" for a drop with none
        self.errors: Counter[str] = Counter()  # failures to connect or to subscribe
        self.others: Counter[str] = Counter()  # any other message (errors from the server, unexpected types)
        self.counting = False  # updates count towards the figures only once the trades start

    def trade_time(self, text: bytes) -> float:
        at = self.trade_times.get(text)
        if at is None:
            at = self.trade_times[text] = datetime.fromisoformat(text.decode()).timestamp()
        return at


class WsClient(asyncio.Protocol):
    """One WebSocket connection: HTTP upgrade, then server frames parsed straight from the socket's chunks."""

    def __init__(self, tally: Tally, request: bytes, subscribe: bytes, channels: tuple[int, ...], probe: bool = False) -> None:
        self.tally, self.request, self.subscribe, self.channels, self.probe = tally, request, subscribe, channels, probe
        loop = asyncio.get_running_loop()
        self.upgraded: asyncio.Future[None] = loop.create_future()
        self.subscribed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.handshake = True
        self.fragments: list[bytes] = []
        self.compressed = False
        self.inflater: Any = None
        self.snapshot: list[int | None] = [None, None]
        self.last = [0, 0]
        self.count = [0, 0]
        self.gaps = [0, 0]
        self.close_code: int | None = None
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio.Transport subclasses
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(HandshakeFailed(f"closed during the handshake: {exc!r}"))
        if not self.subscribed.done():
            self.subscribed.set_exception(HandshakeFailed("closed before its snapshots"))
        if self.close_code is None and not self.closing and not self.probe:
            self.close_code = 1006
            self.tally.closes["1006 (dropped, no close frame)"] += 1

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        if self.handshake:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            head = buffer[:end].decode("latin-1")
            status = head[9:12]
            if status != "101":
                self.upgraded.set_exception(HandshakeFailed(f"HTTP {status}"))
                assert self.transport is not None
                self.transport.close()
                return
            if "permessage-deflate" in head.lower():
                self.inflater = zlib.decompressobj(-15)
            self.handshake = False
            self.upgraded.set_result(None)
            assert self.transport is not None
            self.transport.write(self.subscribe)
            buffer = buffer[end + 4 :]
        now = time.time()
        i, n = 0, len(buffer)
        while n - i >= 2:
            b0, b1 = buffer[i], buffer[i + 1]
            length, start = b1 & 0x7F, i + 2
            if length == 126:
                if n - i < 4:
                    break
                length, start = int.from_bytes(buffer[i + 2 : i + 4], "big"), i + 4
            elif length == 127:
                if n - i < 10:
                    break
                length, start = int.from_bytes(buffer[i + 2 : i + 10], "big"), i + 10
            end = start + length
            if end > n:
                break
            self.frame(b0, buffer[start:end], now)
            i = end
        self.buffer = buffer[i:]

    def frame(self, b0: int, payload: bytes, now: float) -> None:
        opcode = b0 & 0x0F
        if opcode in (1, 2, 0):  # text, binary, continuation
            if opcode:  # a message's first frame: RSV1 says it is compressed (permessage-deflate)
                self.compressed = bool(b0 & 0x40)
            if not b0 & 0x80:  # more frames to come
                self.fragments.append(payload)
                return
            if self.fragments:
                payload = b"".join(self.fragments) + payload
                self.fragments = []
            if self.compressed:
                payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
            self.message(payload, now)
        elif opcode == 9:  # ping: answer at once
            assert self.transport is not None
            self.transport.write(client_frame(0xA, payload))
        elif opcode == 8:  # close: note the code, answer, hang up
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.close_code = code
            if not self.probe:
                self.tally.closes[str(code)] += 1
            assert self.transport is not None
            if not self.transport.is_closing():
                self.transport.write(client_frame(0x8, payload[:2]))
                self.transport.close()

    def message(self, payload: bytes, now: float) -> None:
        """An update by its known prefix, without parsing JSON; anything else (snapshots, errors) parsed."""
        prefixes = self.tally.prefixes
        for channel in (TRADES, BOOK):
            prefix = prefixes[channel]
            if payload.startswith(prefix):
                break
        else:
            self.other(payload, now)
            return
        at = len(prefix)
        sequence = int(payload[at : payload.index(b",", at)])
        stamp = b""
        if channel == TRADES:
            at = payload.rfind(b'"timestamp":"') + 13
            stamp = payload[at : payload.index(b'"', at)]
        self.update(channel, sequence, stamp, now)

    def update(self, channel: int, sequence: int, stamp: bytes, now: float) -> None:
        if self.probe:
            return
        tally = self.tally
        last = self.last[channel]
        if sequence <= last:
            tally.duplicates[channel] += 1
            return
        if sequence > last + 1:
            self.gaps[channel] += sequence - last - 1
        self.last[channel] = sequence
        self.count[channel] += 1
        if not tally.counting:
            return
        tally.received[channel] += 1
        if channel == TRADES:
            tally.lags.append(now - tally.trade_time(stamp))
        if not tally.first_receive:
            tally.first_receive = now
        tally.last_receive = now
        tally.per_second[int(now)] += 1

    def other(self, payload: bytes, now: float) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            self.tally.others["not JSON"] += 1
            return
        kind, channel_name = message.get("type"), message.get("channel")
        if kind == "update" and channel_name in CHANNELS:  # an envelope laid out otherwise than the fast path expects
            channel = CHANNELS.index(channel_name)
            stamp = message["data"]["timestamp"].encode() if channel == TRADES else b""
            self.update(channel, int(message["sequence"]), stamp, now)
        elif kind == "snapshot" and channel_name in CHANNELS:
            channel, sequence = CHANNELS.index(channel_name), int(message["sequence"])
            if self.snapshot[channel] is None:  # the subscription's
                self.snapshot[channel] = self.last[channel] = sequence
                if all(self.snapshot[c] is not None for c in self.channels) and not self.subscribed.done():
                    self.subscribed.set_result(None)
            elif sequence > self.last[channel]:  # a client behind: the server sent this instead of the updates
                if self.tally.counting and not self.probe:
                    self.tally.coalesced[channel] += sequence - self.last[channel]
                self.last[channel] = sequence
        elif kind == "error":
            self.tally.others[f"error {message.get('code')}"] += 1
        else:
            self.tally.others[f"type {kind}"] += 1

    def hang_up(self) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(0x8, (1000).to_bytes(2, "big")))
            self.transport.close()


def percentiles(values: array.array[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "p99.9": None, "max": None, "mean": None}
    ordered = sorted(values)
    n = len(ordered)

    def at(q: float) -> float:
        return ordered[min(n - 1, max(0, int(q * n + 0.5) - 1))]  # nearest rank

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "p99.9": at(0.999), "max": ordered[-1], "mean": sum(ordered) / n}


def subscribe_frames(token_id: str, channels: tuple[int, ...]) -> bytes:
    return b"".join(
        client_frame(0x1, json.dumps({"op": "subscribe", "channel": CHANNELS[c], "token_id": token_id}).encode())
        for c in channels
    )


def upgrade_request(spec: dict[str, Any], port: int) -> bytes:
    return (
        f"GET {PATH} HTTP/1.1\r\nHost: {spec['host']}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
        + ("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if spec["deflate"] else "")
        + "\r\n"
    ).encode()


async def open_client(
    spec: dict[str, Any],
    port: int,
    tally: Tally,
    request: bytes,
    subscribe: bytes,
    channels: tuple[int, ...],
    gate: asyncio.Semaphore,
    probe: bool = False,
) -> WsClient | None:
    """Connect, upgrade and send the subscriptions (at most ``gate`` handshakes at once); None if that failed."""
    loop = asyncio.get_running_loop()
    async with gate:
        try:
            _, client = await asyncio.wait_for(
                loop.create_connection(lambda: WsClient(tally, request, subscribe, channels, probe), spec["host"], port),
                spec["connect_timeout"],
            )
            await asyncio.wait_for(client.upgraded, spec["connect_timeout"])
        except (HandshakeFailed, TimeoutError) as error:  # (TimeoutError first: it is an OSError)
            tally.errors[f"handshake: {error or type(error).__name__}"] += 1
            return None
        except OSError as error:  # EMFILE, ECONNREFUSED, EADDRNOTAVAIL...
            name = os.strerror(error.errno) if error.errno else str(error)
            tally.errors[f"connect: {type(error).__name__} ({name})"] += 1
            return None
    return client


async def loadgen(spec: dict[str, Any]) -> None:
    """Connect and subscribe, say ready, wait for the trades, take every update, say what arrived."""
    tally = Tally(spec["token_id"])
    ports = spec.get("ports") or [spec["port"]]

    def port_of(i: int) -> int:  # round-robin
        return ports[i % len(ports)]

    requests = {port: upgrade_request(spec, port) for port in ports}
    every_nth = round(1 / spec["book_share"]) if spec["book_share"] > 0 else 0
    plans = [  # a round of ports at a time, so that every port gets as many orderbook subscribers
        (TRADES, BOOK) if every_nth and (i // len(ports)) % every_nth == 0 else (TRADES,) for i in range(spec["clients"])
    ]
    frames = {channels: subscribe_frames(spec["token_id"], channels) for channels in set(plans)}
    gate = asyncio.Semaphore(spec["connect_concurrency"])
    started = time.perf_counter()
    opened = await asyncio.gather(
        *(open_client(spec, port_of(i), tally, requests[port_of(i)], frames[p], p, gate) for i, p in enumerate(plans))
    )
    connect_seconds = time.perf_counter() - started
    clients = [c for c in opened if c is not None]
    with suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(c.subscribed for c in clients), return_exceptions=True), spec["connect_timeout"])
    live = [c for c in clients if c.subscribed.done() and not c.subscribed.exception()]
    subscribed = set(live)
    by_port: Counter[int] = Counter(port_of(i) for i, c in enumerate(opened) if c in subscribed)
    not_subscribed = len(clients) - len(live)
    for client in clients:
        if not client.subscribed.done():
            client.subscribed.cancel()
    emit(
        {
            "event": "ready",
            "connected": len(clients),
            "subscribed": len(live),
            "subscribed_by_port": {str(port): by_port[port] for port in ports},
            "not_subscribed": not_subscribed,
            "errors": dict(tally.errors),
            "connect_seconds": connect_seconds,
            "ready_seconds": time.perf_counter() - started,
            "open_files_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        }
    )
    tally.counting = True
    cpu0 = time.process_time()
    traded = json.loads(await asyncio.to_thread(sys.stdin.readline))  # the trades are placed: the load is over

    # The server's own count of what it published: a fresh subscriber's snapshot sequences.
    probe = await open_client(spec, ports[0], tally, requests[ports[0]], frames[(TRADES, BOOK)], (TRADES, BOOK), gate, probe=True)
    final = [None, None]
    if probe is not None:
        with suppress(TimeoutError, HandshakeFailed):
            await asyncio.wait_for(probe.subscribed, spec["idle"] * 4)
        final = list(probe.snapshot)
        probe.hang_up()
    if final[TRADES] is None and live:  # no probe: the trades this side placed are the next best count
        final[TRADES] = min(c.snapshot[TRADES] for c in live) + traded["trades"]  # type: ignore[operator]
    expected = [
        sum(final[ch] - c.snapshot[ch] for c in live if ch in c.channels) if final[ch] is not None else None  # type: ignore[operator]
        for ch in (TRADES, BOOK)
    ]

    # Wait for every update, or until none has arrived for `idle` seconds.
    progress, last_change = -1, time.monotonic()
    deadline = time.monotonic() + spec["timeout"]
    while time.monotonic() < deadline:
        got = sum(tally.received) + sum(tally.coalesced)
        if None not in expected and got >= expected[TRADES] + expected[BOOK]:  # type: ignore[operator]
            break
        if got != progress:
            progress, last_change = got, time.monotonic()
        elif time.monotonic() - last_change > spec["idle"]:
            break
        await asyncio.sleep(0.05)
    waited_for_stragglers = time.monotonic() - last_change if progress >= 0 else 0.0
    cpu = time.process_time() - cpu0

    # Who is short of what.
    short: Counter[str] = Counter()
    examples = []
    missing = [0, 0]
    gaps = [0, 0]
    for index, client in enumerate(live):
        for ch in client.channels:
            gaps[ch] += client.gaps[ch]
            if final[ch] is None:
                continue
            lacking = max(final[ch] - client.last[ch], 0) + client.gaps[ch]  # type: ignore[operator]
            if lacking:
                missing[ch] += lacking
                short[CHANNELS[ch]] += 1
                if len(examples) < 8:
                    examples.append(
                        {
                            "client": index,
                            "channel": CHANNELS[ch],
                            "got": client.count[ch],
                            "expected": final[ch] - client.snapshot[ch],  # type: ignore[operator]
                            "gaps": client.gaps[ch],
                            "close_code": client.close_code,
                        }
                    )
    clients_short = sum(1 for c in live if any(
        final[ch] is not None and (final[ch] > c.last[ch] or c.gaps[ch]) for ch in c.channels  # type: ignore[operator]
    ))
    first_trade = min(tally.trade_times.values(), default=None)
    for client in clients:
        client.hang_up()
    emit(
        {
            "event": "result",
            "trades_reported": traded.get("trades"),
            "final_sequence": final,
            "snapshot_sequences": sorted({tuple(c.snapshot) for c in live}, key=str),
            "subscribers": [sum(1 for c in live if ch in c.channels) for ch in (TRADES, BOOK)],
            "expected": expected,
            "received": tally.received,
            "coalesced": tally.coalesced,
            "duplicates": tally.duplicates,
            "gaps": gaps,
            "missing": missing,
            "clients_short": clients_short,
            "short_by_channel": dict(short),
            "examples": examples,
            "lag": percentiles(tally.lags),
            "first_trade": first_trade,
            "first_receive": tally.first_receive,
            "last_receive": tally.last_receive,
            "peak_per_second": max(tally.per_second.values(), default=0),
            "closes": dict(tally.closes),
            "others": dict(tally.others),
            "errors": dict(tally.errors),
            "loadgen_cpu": cpu,
            "waited_for_stragglers": waited_for_stragglers,
        }
    )
    await asyncio.sleep(0.5)  # let the close frames go out


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def loadgen_main() -> int:
    raise_open_files()
    spec = json.loads(sys.stdin.readline())
    if spec.get("cpu") is not None:
        os.sched_setaffinity(0, {spec["cpu"]})
    try:
        import uvloop  # the lighter loop when installed (it is in .venv: uvicorn uses it too)

        runner: Callable[[Any], Any] = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(loadgen(spec))
    return 0


# ----- the orchestrator: server, trades, figures ---------------------------------------------------------------------


Sample = tuple[float, dict[str, float], dict[str, float]]  # (wall time, CPU seconds by process, loop waits by process)


class CpuSampler:
    """(wall time, each server process's CPU seconds, seconds its loop thread waited for a core) every 50 ms, on a
    thread; the processes by label."""

    def __init__(self, servers: dict[str, Any], interval: float = 0.05) -> None:
        self.servers, self.interval = servers, interval
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuSampler:
        self._take()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._take()

    def _take(self) -> None:
        with suppress(OSError):
            cpu = {label: server.cpu_seconds() for label, server in self.servers.items()}
            waited = {label: server.loop_waited() for label, server in self.servers.items()}
            self.samples.append((time.time(), cpu, waited))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._take()

    def _around(self, start: float, end: float) -> tuple[Sample, Sample]:
        """The last sample at or before ``start`` and the first at or after ``end``."""
        before = max((s for s in self.samples if s[0] <= start), default=self.samples[0], key=lambda s: s[0])
        after = min((s for s in self.samples if s[0] >= end), default=self.samples[-1], key=lambda s: s[0])
        return before, after

    def between(self, start: float, end: float) -> dict[str, tuple[float, float]]:
        """Each process's CPU seconds and loop-wait seconds from ``start`` to ``end`` (as ``_around`` brackets them)."""
        before, after = self._around(start, end)
        return {label: (after[1][label] - before[1][label], after[2][label] - before[2][label]) for label in self.servers}

    def span(self, start: float, end: float) -> float:
        before, after = self._around(start, end)
        return max(after[0] - before[0], 1e-9)


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def open_files_limit(pid: int) -> str:
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return line.split()[3]
    return "?"


def wait_idle(server: Any, timeout: float = 30.0) -> None:
    """Until the server uses under 5 % of a core over 0.5 s (connections closed, tasks gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(0.5)
        if server.cpu_seconds() - before < 0.025:
            return


async def place_trades(url: str, market: Any, trades: int, rate: float) -> dict[str, Any]:
    """``trades`` trades at ``rate``/s, open loop: each a resting sell by user 0 hit by an IOC buy of user 1."""
    import httpx

    from bench.http_load import API, USD_DECIMALS
    from bench.http_loadgen import units

    seller, buyer = ({"Authorization": f"Bearer {t}"} for t in market.user_tokens[:2])
    order = {
        "token_id": market.token_id,
        "type": "limit",
        "price": units(10**USD_DECIMALS // market.tick * market.tick, USD_DECIMALS),  # 1 USD
        "quantity": units(market.lot, market.decimals),
    }
    statuses: Counter[str] = Counter()
    bodies: dict[str, str] = {}
    latencies: list[float] = []
    filled = 0
    clock = time.perf_counter
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=64)) as client:

        async def trade(due: float) -> None:
            nonlocal filled
            await asyncio.sleep(max(due - clock(), 0))
            sent = clock()
            for side, headers, tif in (("sell", seller, "GTC"), ("buy", buyer, "IOC")):
                try:
                    answer = await client.post(
                        f"{API}/orders", json={**order, "side": side, "time_in_force": tif}, headers=headers
                    )
                except httpx.HTTPError as error:
                    statuses[f"{side} {type(error).__name__}"] += 1
                    return
                if answer.status_code != 201:
                    statuses[f"{side} {answer.status_code}"] += 1
                    bodies.setdefault(f"{side} {answer.status_code}", answer.text[:300])
                    return
                status = answer.json()["order"]["status"]
                statuses[f"{side} 201 {status}"] += 1
            latencies.append(clock() - sent)
            if status == "filled":
                filled += 1

        start = clock() + 0.02
        began = time.time() + 0.02
        await asyncio.gather(*(trade(start + k / rate) for k in range(trades)))
        elapsed = clock() - start
        ended = time.time()
    latencies.sort()
    return {
        "trades": filled,
        "statuses": dict(statuses),
        "bodies": bodies,
        "began": began,
        "elapsed": elapsed,
        "ended": ended,
        "p50": latencies[len(latencies) // 2] if latencies else None,
        "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else None,
    }


def deployment(
    args: argparse.Namespace, tmp: Path, admin: Any, database_url: str | None, redis_prefix: str | None, server_cpu: int | None
) -> dict[str, Any]:
    """The server processes by label, not started: ``serve`` on ``server_cpu``, or with ``--topology`` scaleout's
    ``TOPOLOGY`` but its settler (module docstring), each with its own data dir, none pinned."""
    import secrets

    from bench.http_load import BIN, EVERY_CPU, REDIS_URL, Server, server_env
    from bench.scaleout import TOPOLOGY, topology_servers

    if args.topology:
        assert database_url is not None and redis_prefix is not None
        roles = tuple((label, role) for label, role in TOPOLOGY if role != "settler")
        return topology_servers(roles, tmp, admin, secrets.token_urlsafe(48), database_url, redis_prefix, EVERY_CPU)
    env = server_env(tmp / "data", admin)
    if database_url:
        env["PEOPLECOIN_DATABASE_URL"] = database_url
    if redis_prefix:
        env.update(PEOPLECOIN_REDIS_URL=REDIS_URL, PEOPLECOIN_REDIS_PREFIX=redis_prefix)
    return {"serve": Server(env, tmp / "server.log", server_cpu, [str(BIN / "peoplecoin"), "serve"])}


def delivering(servers: dict[str, Any]) -> dict[str, Any]:
    """The processes the WebSocket clients connect to: ``serve``, or the topology's api processes."""
    return {label: server for label, server in servers.items() if label == "serve" or label.startswith("api")}


def run_clients(
    n: int, args: argparse.Namespace, servers: dict[str, Any], market: Any, load_cpu: int | None, tmp: Path
) -> dict[str, Any]:
    from bench.http_load import PySpy, pin, py_spy_path

    apis = delivering(servers)
    first = next(iter(apis.values()))
    spec = {
        "host": "127.0.0.1",
        "port": first.port,
        "ports": [api.port for api in apis.values()],
        "token_id": market.token_id,
        "clients": n,
        "book_share": args.book_share,
        "deflate": args.deflate,
        "connect_concurrency": args.connect_concurrency,
        "connect_timeout": 60.0,
        "idle": args.idle,
        "timeout": args.timeout,
        "cpu": load_cpu,
    }
    rss0 = sum(rss_mib(api.process.pid) for api in apis.values())
    errors = (tmp / f"loadgen-{n}.err").open("w+")
    gen = subprocess.Popen(
        [sys.executable, "-m", "bench.ws_load", "--loadgen"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT, preexec_fn=pin(None),
    )  # fmt: skip
    assert gen.stdin is not None and gen.stdout is not None

    def receive() -> dict[str, Any]:
        line = gen.stdout.readline()  # type: ignore[union-attr]
        if not line:
            gen.wait(10)
            errors.seek(0)
            raise RuntimeError(f"the load generator exited ({gen.returncode}):\n{errors.read()[-3000:]}")
        return json.loads(line)

    try:
        gen.stdin.write(json.dumps(spec) + "\n")
        gen.stdin.flush()
        ready = receive()
        rss1 = sum(rss_mib(api.process.pid) for api in apis.values())
        by_port = ready["subscribed_by_port"]
        print(
            f"  {n:,} clients: {ready['subscribed']:,} connected and subscribed in {ready['ready_seconds']:.1f}s"
            + (f" ({', '.join(f'{k} on :{port}' for port, k in by_port.items())})" if len(by_port) > 1 else "")
            + (f"; failed: {ready['errors']}" if ready["errors"] else "")
            + (f"; {ready['not_subscribed']} connected without snapshots" if ready["not_subscribed"] else ""),
            flush=True,
        )
        profiler = None
        if args.profile and py_spy_path():
            profiler = PySpy(py_spy_path() or "py-spy", first.process.pid, tmp / f"py-spy-{n}.txt", load_cpu, 100, False)
            profiler.start()
        with CpuSampler(servers) as sampler:
            placed = asyncio.run(place_trades(first.url, market, args.trades, args.rate))
            gen.stdin.write(json.dumps({"trades": placed["trades"]}) + "\n")
            gen.stdin.flush()
            result = receive()
        profile = profiler.stop() if profiler is not None else None
        gen.stdin.close()
        gen.wait(30)
    finally:
        if gen.poll() is None:
            gen.kill()
            gen.wait(10)
        errors.close()
    start = result["first_trade"] or placed["began"]
    end = result["last_receive"] or start
    span = sampler.span(start, end)
    used = {label: (cpu / span, waited / span) for label, (cpu, waited) in sampler.between(start, end).items()}
    return {
        "clients": n,
        "ready": ready,
        "placed": placed,
        "result": result,
        "wall": max(end - start, 1e-9),
        "server_cpu": sum(used[label][0] for label in apis),  # of the processes the clients are on
        "loop_waited": sum(used[label][1] for label in apis),
        "cpu": used,  # (share of a core, loop waited) by process
        "profiled": "the server" if len(apis) == 1 else next(iter(apis)),
        "rss_before": rss0,
        "rss_connected": rss1,
        "profile": profile,
    }


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f}"


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace, title: str) -> None:
    print()
    print(f"=== {title} ===")
    header = (
        f"{'clients':>8}{'connected':>10}{'trades/s':>9}{'ack p99':>9}{'trade updates got/expected':>28}{'book got/expected':>20}"
        f"{'short':>7}{'lag p50':>9}{'p99':>8}{'max':>8}{'msgs/s':>9}{'wall s':>8}{'srv CPU':>8}{'gen CPU':>8}{'4008':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        r, placed = row["result"], row["placed"]
        got, expected = r["received"], r["expected"]
        delivered = got[TRADES] + got[BOOK]
        lag = r["lag"]

        def of(ch: int) -> str:
            covered = got[ch] + r["coalesced"][ch]  # an update coalesced into a fresh snapshot is not lost
            return f"{covered:,}/{expected[ch]:,}" if expected[ch] is not None else f"{covered:,}/?"

        print(
            f"{row['clients']:>8,}{row['ready']['subscribed']:>10,}{placed['trades'] / max(placed['elapsed'], 1e-9):>9.1f}"
            f"{ms(placed['p99']):>9}{of(TRADES):>28}{of(BOOK):>20}"
            f"{r['clients_short']:>7,}{ms(lag['p50']):>9}{ms(lag['p99']):>8}{ms(lag['max']):>8}"
            f"{delivered / row['wall']:>9,.0f}{row['wall']:>8.1f}{100 * row['server_cpu']:>7.0f}%"
            f"{100 * r['loadgen_cpu'] / row['wall']:>7.0f}%{r['closes'].get('4008', 0):>6,}"
        )
    measured = "the apis' sum" if args.topology else "the server process"
    print(
        f"  (trades/s: achieved, of {args.rate:g}/s offered; ack p99: ms from a trade's sell being sent to its buy being\n"
        "   acknowledged; lag: ms from the trade's timestamp (engine execution) to its update reaching a client, every\n"
        "   trades update of every client, one machine so one clock; got: updates received, plus those a client behind\n"
        "   was sent a fresh snapshot instead of (coalesced, orderbook only); short: clients missing at least one update of a\n"
        "   channel they follow; msgs/s: every update delivered (trades + orderbook) / wall s, from the first trade's\n"
        f"   timestamp to the last update received; srv CPU: {measured} over that window, % of one core; gen CPU:\n"
        "   the load generator, same window; 4008: clients closed as too slow)"
    )
    for row in rows:
        r, placed = row["result"], row["placed"]
        n = row["clients"]
        print()
        print(f"  {n:,} clients:")
        per_trade = ((r["expected"][TRADES] or 0) + (r["expected"][BOOK] or 0)) / max(placed["trades"], 1)
        print(
            f"    trades: {placed['trades']:,} executed of {args.trades:,} offered at {args.rate:g}/s, placed over "
            f"{placed['elapsed']:.1f}s; sell+buy acknowledged p50 {ms(placed['p50'])} / p99 {ms(placed['p99'])} ms; "
            f"answers {placed['statuses']}; trades sequence advanced by "
            f"{(r['final_sequence'][TRADES] or 0) - min((s[TRADES] for s in r['snapshot_sequences']), default=0):,}"
        )
        for answer, body in placed["bodies"].items():
            print(f"      first {answer}: {body}")
        print(
            f"    subscribers: trades {r['subscribers'][TRADES]:,}, orderbook {r['subscribers'][BOOK]:,}; "
            f"{per_trade:,.0f} updates to deliver per trade, {per_trade * args.rate:,.0f}/s at the offered {args.rate:g} trades/s, "
            f"{per_trade * placed['trades'] / max(placed['elapsed'], 1e-9):,.0f}/s at the achieved rate; delivered at {(r['received'][TRADES] + r['received'][BOOK]) / row['wall']:,.0f}/s "
            f"(peak second {r['peak_per_second']:,}); last update {(r['last_receive'] or placed['ended']) - placed['ended']:.1f}s after the last trade was acknowledged"
        )
        lag = r["lag"]
        print(
            f"    lag ms: p50 {ms(lag['p50'])}, p90 {ms(lag['p90'])}, p99 {ms(lag['p99'])}, p99.9 {ms(lag['p99.9'])}, "
            f"max {ms(lag['max'])}, mean {ms(lag['mean'])}"
        )
        missing = r["missing"]
        print(
            f"    missing updates: trades {missing[TRADES]:,}, orderbook {missing[BOOK]:,} "
            f"({r['clients_short']:,} clients short: {r['short_by_channel'] or 'none'}); sequence gaps {r['gaps']}, "
            f"duplicates {r['duplicates']}; coalesced into fresh snapshots for clients behind: trades "
            f"{r['coalesced'][TRADES]:,} (never: each trade is sent), orderbook {r['coalesced'][BOOK]:,}"
            + (f"; waited {r['waited_for_stragglers']:.1f}s for stragglers" if r["clients_short"] else "")
        )
        for example in r["examples"]:
            print(f"      e.g. {example}")
        print(
            f"    closes from the server: {r['closes'] or 'none'} (4008 = too slow); other messages: {r['others'] or 'none'}; "
            f"connect errors: {r['errors'] or row['ready']['errors'] or 'none'}"
        )
        if not args.topology:
            cpu = (
                f"server: CPU {100 * row['server_cpu']:.0f}% of a core during delivery, its loop thread waited for a core "
                f"{100 * row['loop_waited']:.0f}% of the time; RSS"
            )
        else:
            each = ", ".join(f"{label} {100 * used:.0f}% ({100 * waited:.0f}%)" for label, (used, waited) in row["cpu"].items())
            cpu = (
                f"servers: CPU during delivery, % of a core (its loop thread waiting for a core): {each}; the apis "
                f"{100 * row['server_cpu']:.0f}%; RSS of the apis"
            )
        print(
            f"    {cpu} {row['rss_before']:,.0f} -> {row['rss_connected']:,.0f} MiB "
            f"connected (~{1024 * (row['rss_connected'] - row['rss_before']) / max(row['ready']['subscribed'], 1):,.0f} KiB a "
            f"connection); connect + subscribe {row['ready']['ready_seconds']:.1f}s "
            f"({row['ready']['subscribed'] / max(row['ready']['ready_seconds'], 1e-9):,.0f}/s)"
        )
        print(
            f"    load generator: {100 * r['loadgen_cpu'] / row['wall']:.0f}% of a core over the delivery; open-files limit "
            f"{row['ready']['open_files_limit']:,}"
        )
    for row in rows:
        if row["profile"] is not None:
            from bench.http_profile import report

            print()
            print(f"--- py-spy profile of {row['profiled']} during delivery to {row['clients']:,} clients ---")
            print(report(row["profile"]))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ws_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1000,10000", help="comma-separated client counts, run in order (1000,10000)")
    parser.add_argument("--trades", type=int, default=200, help="trades placed for each client count (200)")
    parser.add_argument("--rate", type=float, default=20.0, help="trades per second (20)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--redis", action="store_true", help="give the server Redis too (sessions, limits, append nudges)")
    parser.add_argument(
        "--topology",
        action="store_true",
        help="engine, projector and two api processes on PostgreSQL + Redis instead of serve, the clients alternating "
        "between the two apis, the servers unpinned (--backend and --redis do not apply)",
    )
    parser.add_argument("--deflate", action="store_true", help="clients offer permessage-deflate, as browsers do")
    parser.add_argument("--book-share", type=float, default=0.1, help="share of clients also on orderbook (0.1)")
    parser.add_argument("--connect-concurrency", type=int, default=200, help="WebSocket handshakes in flight at once (200)")
    parser.add_argument("--idle", type=float, default=5.0, help="stop waiting after this many seconds with no update (5)")
    parser.add_argument("--timeout", type=float, default=300.0, help="stop waiting for delivery after this many seconds (300)")
    parser.add_argument("--profile", action="store_true", help="py-spy the server during delivery")
    parser.add_argument("--keep", action="store_true", help="keep a copy of the data dir, server log and profiles")
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.loadgen:
        return loadgen_main()
    import secrets

    from bench.http_load import choose_cpus, database_for, drop_redis_prefix, set_up
    from bench.scaleout import stop_all
    from tests.support.wallets import ED25519, Wallet

    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    limit = raise_open_files(max(OPEN_FILES, 2 * max(counts) + 1024))  # the servers started below inherit it
    server_cpu, load_cpu = choose_cpus(False)  # this process moved to the load's core
    if args.topology:
        server_cpu = None
        setting = "topology (engine, projector, 2 api) on PostgreSQL + Redis"
        pinned = f"servers on every core, load on CPU {load_cpu}" if load_cpu is not None else "no CPU pinning"
    else:
        setting = f"{args.backend}{' + Redis' if args.redis else ''}, serve"
        pinned = f"server on CPU {server_cpu}, load on CPU {load_cpu}" if server_cpu is not None else "no CPU pinning"
    started = time.monotonic()
    print(
        f"ws_load: {setting}; "
        f"{', '.join(f'{c:,}' for c in counts)} clients; {args.trades} trades at {args.rate:g}/s each; "
        f"orderbook for {100 * args.book_share:g} % of clients; "
        + ("permessage-deflate offered; " if args.deflate else "no compression; ")
        + pinned
        + f"; {os.cpu_count()} cores; open-files limit {limit:,}",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="peoplecoin-ws-bench-") as tmp_text:
        tmp = Path(tmp_text)
        admin = Wallet.new(ED25519)
        redis_prefix = f"peoplecoin-ws-bench-{secrets.token_hex(4)}:" if args.redis or args.topology else None
        with database_for("postgres" if args.topology else args.backend) as database_url:
            servers = deployment(args, tmp, admin, database_url, redis_prefix, server_cpu)
            apis = list(delivering(servers).values())
            failed = True
            try:
                for server in servers.values():  # in order: the engine before the apis
                    server.start()
                market = set_up(apis[0].url, admin, 2)
                up = f"server up on :{apis[0].port}"
                if args.topology:
                    up = "up: " + ", ".join(f"{label} on :{server.port}" for label, server in servers.items())
                print(
                    f"  {up} (open-files limit {open_files_limit(apis[0].process.pid)}); "
                    f"token listed, seller and buyer funded in {market.seconds:.1f}s",
                    flush=True,
                )
                for n in counts:
                    rows.append(run_clients(n, args, servers, market, load_cpu, tmp))
                    for api in apis:
                        wait_idle(api)
                failed = False
            finally:
                stop_all(servers, failed)  # with their log tails if it failed
                if redis_prefix:
                    with suppress(Exception):
                        drop_redis_prefix(redis_prefix)
                if args.keep:
                    kept = Path(tempfile.mkdtemp(prefix="peoplecoin-ws-bench-kept-"))
                    shutil.copytree(tmp, kept, dirs_exist_ok=True)
                    print(f"  kept the data dir, logs and profiles in {kept}")
    deployed = (
        "topology: engine, projector, 2 api on PostgreSQL + Redis" if args.topology
        else f"{'SQLite (embedded default)' if args.backend == 'sqlite' else 'PostgreSQL'}, "
        f"{'Redis' if args.redis else 'in-process'} pub/sub"
    )
    title = (
        f"WebSocket delivery, {deployed}{', permessage-deflate' if args.deflate else ''}: "
        f"{args.trades} trades at {args.rate:g}/s; every client on trades, {100 * args.book_share:g} % also on orderbook"
    )
    print_table(rows, args, title)
    print(f"\n(total {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
