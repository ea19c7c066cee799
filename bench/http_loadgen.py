"""The load generator of ``bench.http_load``: its own process, asyncio, raw HTTP/1.1 keep-alive connections.

Run by ``bench.http_load`` (never by hand, though it can be)::

    .venv/bin/python -m bench.http_loadgen < spec.json > result.json

It reads one JSON spec on stdin and writes one JSON result on stdout. Only
the standard library is imported, so it starts in a few milliseconds and
the hot path is as thin as asyncio streams allow: one connection per
simulated client, every order request built as bytes before the clock
starts, a response read by its ``content-length`` with no JSON decoding;
the one thing looked into is a placed order's body (two ``bytes.find``)
for its id and whether it rests, so that a later cancel can name it.

Modes:

``closed``  every client sends its next command as soon as the previous one
            is answered, for ``duration`` seconds: the saturation throughput.
            Latency is from the send to the end of the response.
``closed`` with ``fixed`` ({"method", "path", "auth"}): that one request over
            and over instead of the order mix (for the cost breakdown).
``open``    commands are scheduled at ``rate`` per second over the whole run,
            slot k at ``start + k / rate`` on connection ``k % clients``;
            a connection still waiting for an answer sends its late slots as
            soon as it is free. Latency is from the slot's scheduled time (or
            from the send, if the timer woke a little early), so a slow
            answer counts for every slot queued behind it: no coordinated
            omission. Slots still unsent when ``duration`` is over are not
            sent; they are counted (``unsent``), the backlog of a server
            slower than the offered rate.

``ports`` (optional, a list): client ``i`` connects to ``ports[i % len(ports)]``
instead of every client to ``port``, so one load is split evenly over several
servers (``bench.scaleout``'s two api processes); in open loop slot ``k`` goes
to connection ``k % clients``, so each server gets its share of the rate.

The mix, per client, around a fixed mid (``mid_ticks``) with seeded
randomness: a cancel of one of the client's own resting orders (picked at
random) with probability ``cancel_share`` when it has any, otherwise a limit
order, buy or sell at even odds, ``GTC`` (or ``IOC`` with probability
``ioc_share``), priced from ``behind`` ticks on its own side of the mid to
``through`` ticks across it (an order priced across the mid often meets the
other side's resting orders), 1 to 20 lots. Each client cycles through
``pool`` pre-built placements. With ``http_load``'s settings (8 behind, 4
through, 10 % IOC, 10 % cancels) the flow makes ~0.5 trades per placement
and ~10 % of commands are cancels, ~40 % of which lose the race with a fill
and are answered ``409 order_not_open``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from typing import Any

PLACE, CANCEL, FIXED = 0, 1, 2
KINDS = ("place", "cancel", "fixed")
RESTING_MARKERS = (b'"status":"open"', b'"status":"partially_filled"')
ID_MARKER = b'"id":"'
UUID_LENGTH = 36
MAX_TRACKED = 200  # resting order ids a client remembers (the most recent)


def units(value: int, decimals: int) -> str:
    whole, fraction = divmod(value, 10**decimals)
    digits = str(fraction).rjust(decimals, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def client_ports(spec: dict[str, Any]) -> list[int]:
    """The port each client connects to: ``spec["ports"]`` taken in turn, or ``spec["port"]`` for all."""
    ports = spec.get("ports") or [spec["port"]]
    return [ports[i % len(ports)] for i in range(spec["clients"])]


def place_requests(spec: dict[str, Any], token: str, rng: random.Random, count: int, port: int) -> list[bytes]:
    """``count`` order requests for one client of ``port``, whole HTTP/1.1 messages ready to write."""
    head = (
        f"POST /api/v1/orders HTTP/1.1\r\nHost: {spec['host']}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: "
    ).encode()
    tick, lot, mid = spec["tick_units"], spec["lot_units"], spec["mid_ticks"]
    behind, through = spec["behind"], spec["through"]
    requests = []
    for _ in range(count):
        side = "buy" if rng.random() < 0.5 else "sell"
        offset = rng.randint(-behind, through)  # > 0: across the mid, towards the other side's orders
        ticks = mid + offset if side == "buy" else mid - offset
        tif = "IOC" if rng.random() < spec["ioc_share"] else "GTC"
        body = json.dumps(
            {
                "token_id": spec["token_id"],
                "side": side,
                "type": "limit",
                "price": units(ticks * tick, spec["usd_decimals"]),
                "quantity": units(rng.randint(1, 20) * lot, spec["token_decimals"]),
                "time_in_force": tif,
            },
            separators=(",", ":"),
        ).encode()
        requests.append(head + str(len(body)).encode() + b"\r\n\r\n" + body)
    return requests


class Client:
    """One simulated trader on one keep-alive connection."""

    def __init__(self, index: int, spec: dict[str, Any], token: str, port: int) -> None:
        self.rng = random.Random(spec["seed"] * 1_000_003 + index)
        self.port = port
        self.places = place_requests(spec, token, self.rng, spec["pool"], port)
        self.next_place = 0
        self.cancel_head = (
            f"DELETE /api/v1/orders/".encode(),
            f" HTTP/1.1\r\nHost: {spec['host']}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode(),
        )
        self.cancel_share = spec["cancel_share"]
        fixed = spec.get("fixed")  # {"method", "path", "auth"}: one request over and over instead of the mix
        self.fixed = (
            f"{fixed['method']} {fixed['path']} HTTP/1.1\r\nHost: {spec['host']}:{port}\r\n"
            + (f"Authorization: Bearer {token}\r\n" if fixed.get("auth") else "")
            + "\r\n"
        ).encode() if fixed else None
        self.resting: list[bytes] = []
        self.acknowledged = 0  # 2xx answers on this connection
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, host: str) -> None:
        self.reader, self.writer = await asyncio.open_connection(host, self.port)

    def next_request(self) -> tuple[int, bytes]:
        if self.fixed is not None:
            return FIXED, self.fixed
        resting = self.resting
        if resting and self.rng.random() < self.cancel_share:
            last = len(resting) - 1
            i = self.rng.randint(0, last)
            order_id = resting[i]
            resting[i] = resting[last]
            resting.pop()
            return CANCEL, self.cancel_head[0] + order_id + self.cancel_head[1]
        request = self.places[self.next_place]
        self.next_place = (self.next_place + 1) % len(self.places)
        return PLACE, request

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Write one request, read its response: (status, body)."""
        reader, writer = self.reader, self.writer
        assert reader is not None and writer is not None
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        at = head.find(b"content-length:")
        if at < 0:
            at = head.lower().find(b"content-length:")
        if at < 0:
            return status, b""
        end = head.find(b"\r\n", at)
        body = await reader.readexactly(int(head[at + 15 : end]))
        return status, body

    def remember(self, body: bytes) -> None:
        """A placed order that rests: keep its id for a later cancel."""
        if RESTING_MARKERS[0] in body or RESTING_MARKERS[1] in body:
            at = body.find(ID_MARKER) + len(ID_MARKER)
            self.resting.append(body[at : at + UUID_LENGTH])
            if len(self.resting) > MAX_TRACKED:
                self.resting.pop(0)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass


class Tally:
    """Latencies (seconds) of 2xx answers and counts of every status, per kind of command."""

    def __init__(self) -> None:
        self.latency: tuple[list[float], ...] = ([], [], [])
        self.codes: tuple[dict[int, int], ...] = ({}, {}, {})
        self.send_lag: list[float] = []
        self.unsent = 0  # open loop: slots still unsent when the phase ended (a backlog the server did not clear)
        self.errors: dict[str, int] = {}
        self.first_error_bodies: dict[int, str] = {}

    def record(self, kind: int, status: int, seconds: float, body: bytes) -> None:
        codes = self.codes[kind]
        codes[status] = codes.get(status, 0) + 1
        if 200 <= status < 300:
            self.latency[kind].append(seconds)
        elif status not in self.first_error_bodies:
            self.first_error_bodies[status] = body[:300].decode(errors="replace")


async def closed_loop(client: Client, tally: Tally, deadline: float) -> None:
    clock = time.perf_counter
    while clock() < deadline:
        kind, request = client.next_request()
        sent = clock()
        try:
            status, body = await client.exchange(request)
        except (ConnectionError, asyncio.IncompleteReadError, OSError) as error:
            tally.errors[type(error).__name__] = tally.errors.get(type(error).__name__, 0) + 1
            return
        tally.record(kind, status, clock() - sent, body)
        client.acknowledged += 200 <= status < 300
        if kind == PLACE and status == 201:
            client.remember(body)


async def open_loop(client: Client, tally: Tally, start: float, interval: float, slots: int, end: float) -> None:
    clock = time.perf_counter
    for k in range(slots):
        if clock() >= end:  # behind schedule at the end: what is left was never sent
            tally.unsent += slots - k
            return
        due = start + k * interval
        delay = due - clock() - 0.001  # the loop's timers wake up to 1 ms late; wake early, measure from the send
        if delay > 0:
            await asyncio.sleep(delay)
        kind, request = client.next_request()
        sent = clock()
        tally.send_lag.append(sent - due)
        try:
            status, body = await client.exchange(request)
        except (ConnectionError, asyncio.IncompleteReadError, OSError) as error:
            tally.errors[type(error).__name__] = tally.errors.get(type(error).__name__, 0) + 1
            return
        tally.record(kind, status, clock() - min(due, sent), body)
        client.acknowledged += 200 <= status < 300
        if kind == PLACE and status == 201:
            client.remember(body)


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "p99.9": None, "max": None, "mean": None}
    ordered = sorted(values)
    n = len(ordered)

    def at(q: float) -> float:
        return ordered[min(n - 1, max(0, int(q * n + 0.5) - 1))]  # nearest rank

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "p99.9": at(0.999), "max": ordered[-1], "mean": sum(ordered) / n}


def acknowledged_by_port(clients: Sequence[Client]) -> dict[str, int]:
    """2xx answers per server port, summed over the clients connected to it."""
    out: dict[str, int] = {}
    for client in clients:
        out[str(client.port)] = out.get(str(client.port), 0) + client.acknowledged
    return out


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    tokens: Sequence[str] = spec["tokens"]
    clients = [Client(i, spec, tokens[i % len(tokens)], port) for i, port in enumerate(client_ports(spec))]
    await asyncio.gather(*(c.connect(spec["host"]) for c in clients))
    tally = Tally()
    duration = spec["duration"]
    cpu0 = time.process_time()
    start = time.perf_counter() + 0.05
    if spec["mode"] == "closed":
        await asyncio.sleep(max(start - time.perf_counter(), 0))
        await asyncio.gather(*(closed_loop(c, tally, start + duration) for c in clients))
    else:
        rate, n = spec["rate"], len(clients)
        total = int(rate * duration)
        interval = n / rate
        await asyncio.gather(
            *(
                open_loop(c, tally, start + i / rate, interval, len(range(i, total, n)), start + duration)
                for i, c in enumerate(clients)
            )
        )
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    await asyncio.gather(*(c.close() for c in clients))
    return {
        "mode": spec["mode"],
        "elapsed": elapsed,
        "duration": duration,
        "loadgen_cpu": cpu,
        "kinds": {
            KINDS[k]: {
                "codes": {str(code): count for code, count in sorted(tally.codes[k].items())},
                "ok": len(tally.latency[k]),
                "latency": percentiles(tally.latency[k]),
            }
            for k in (PLACE, CANCEL, FIXED)
        },
        "all_latency": percentiles(tally.latency[PLACE] + tally.latency[CANCEL] + tally.latency[FIXED]),
        "send_lag": percentiles(tally.send_lag) if tally.send_lag else None,
        "unsent": tally.unsent,
        "acknowledged_by_port": acknowledged_by_port(clients),
        "errors": tally.errors,
        "error_bodies": {str(k): v for k, v in tally.first_error_bodies.items()},
    }


def main() -> int:
    spec = json.load(sys.stdin)
    if spec.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {spec["cpu"]})
    result = asyncio.run(run(spec))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
