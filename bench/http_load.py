"""The end-to-end benchmark: orders through HTTP into a real server, every one durable before its answer.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.http_load [--backend sqlite|postgres|both]
        [--duration S] [--clients N] [--rate R] [--users U] [--profile]

For each backend it starts ``peoplecoin serve`` (a fresh data dir; for
PostgreSQL a fresh database, dropped afterwards), signs in an admin and
``--users`` traders with real Sui wallets (pysui), lists one token, deposits
USD and tokens to every trader, then drives orders at it from a separate
load-generator process (``bench.http_loadgen``: asyncio, raw HTTP/1.1
keep-alive, one connection per client). On a machine with two or more
cores the server is pinned to the first and the load generator (and this
process, and py-spy) to the second; PostgreSQL itself is not pinned.

Phases, each against the same server and growing book:

1. warm-up: ``--warmup`` seconds closed loop, not reported;
2. saturation: ``--clients`` clients in closed loop for ``--duration``
   seconds: acknowledged (2xx) orders/s and ack latency;
3. the views are given time to catch up (timed), so the next phase starts
   from an idle server;
4. fixed rate: open loop at ``--rate`` commands/s spread over the
   connections for ``--duration`` seconds: achieved rate and latency from
   each command's scheduled time.

A command is an order placement (``POST /api/v1/orders``, ~90 %) or a cancel
of one of the client's resting orders (``DELETE /api/v1/orders/{id}``); both
are durable writes acknowledged after the group commit. "orders/s" counts
placements only; "cmds/s" both. A cancel can lose a race with a fill and get
``409 order_not_open``: that is counted and shown, not hidden.

Afterwards the server's own view: its Prometheus request counters, the event
log counted by event type (read straight from the database), the order book
(not crossed?), the projections' lag when the load stopped (sampled every
half second during the run, read straight from the database), how long they
took to catch up, ``peoplecoin projections status`` and a read-your-writes
``GET /api/v1/orders?min_position=<head>``.

Beside the rates and latencies each phase shows the server's CPU per
acknowledged command (``µs/cmd``, from /proc), the figure least disturbed
by other work on the machine, and how busy everything else was (PostgreSQL,
the load generator, every other process), so a run on a shared machine can
be judged.

``--profile`` records the server during the saturation phase with
``py-spy record --nonblocking`` (``.venv/bin/pip install py-spy``; as root it
needs nothing else) and prints where the time goes by area
(``bench.http_profile``); ``--profiler cprofile`` uses cProfile through
``bench.http_server`` instead (slower server, event-loop thread only).

Experiments, to put a number on a suggested change without changing
``src/``: ``--breakdown S`` (S seconds each of ``GET /health``, a public GET
and an authenticated GET: the per-request floor and the guard's cost);
``--whatif no-revocation-lookup`` / ``--whatif no-projections`` (through
``bench.http_server``, that cost patched out); ``--redis`` (revocations and
challenges in Redis, as the e2e tests run PostgreSQL); ``--log-level WARNING``
(no access log); ``--server-path DIR`` (e.g. ``pip install --target DIR uvloop
httptools``: uvicorn picks them up); ``--nice -10`` (when other work
shares the machine); ``--no-pin``; ``--keep`` (keep data dir, log, profile).

A default ``--backend both`` run takes about two minutes. Nothing asserts a
figure: it prints them, and the targets beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_profile import Summary, parse_cprofile, parse_raw, report  # noqa: E402
from tests.support.wallets import ED25519, Wallet  # noqa: E402

BIN = Path(sys.executable).parent
API = "/api/v1"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
SYMBOL = "BENCH"
USD_DECIMALS = 6
TARGET_ORDERS_PER_SECOND = 5_000
TARGET_P99_SECONDS = 0.010
TARGET_RATE = 1_000
STARTUP_TIMEOUT = 60.0
CATCH_UP_TIMEOUT = 45.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
BREAKDOWN = [  # (label, request) for --breakdown: what a request costs the server before any order logic
    ("GET /health", {"method": "GET", "path": "/health", "auth": False}),
    ("GET token (public)", {"method": "GET", "path": f"{API}/tokens/BENCH", "auth": False}),
    ("GET balances (auth)", {"method": "GET", "path": f"{API}/users/me/balances", "auth": True}),
]
TOPIC = "domain.orderbook.events:"


# ----- the server -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


NICE = 0  # --nice: added to the niceness of the server, the load generator and py-spy


EVERY_CPU = frozenset(os.sched_getaffinity(0))  # taken at import, before choose_cpus() moves this process


def pin(cpu: int | frozenset[int] | None) -> Any:
    """A preexec_fn: the child on ``cpu`` (one core, or a set such as EVERY_CPU; None: where this process runs),
    at the --nice niceness."""

    def setup() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu} if isinstance(cpu, int) else cpu)
        if NICE:
            os.nice(NICE)

    return setup if cpu is not None or NICE else None


@dataclass
class Server:
    env: dict[str, str]
    log_path: Path
    cpu: int | frozenset[int] | None
    command: list[str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    health_path: str | None = "/health"  # None: up at its first HTTP answer (a server without a health check)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.env["PEOPLECOIN_PORT"] = str(self.port)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=ROOT, stdout=log, stderr=log, preexec_fn=pin(self.cpu)
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            with suppress(httpx.TransportError):
                answer = httpx.get(self.url + (self.health_path or "/"), timeout=1)
                if self.health_path is None or answer.status_code == 200:
                    return
            time.sleep(0.1)
        waited_for = self.health_path or "HTTP"
        raise RuntimeError(f"the server did not answer {waited_for} in {STARTUP_TIMEOUT}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def cpu_seconds(self) -> float:
        assert self.process is not None
        return process_cpu(self.process.pid)

    def loop_waited(self) -> float:
        """Seconds the event-loop (main) thread has spent runnable but not running: waiting for the core."""
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/task/{self.process.pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in self.env.items()}
        return subprocess.run(
            [str(BIN / "peoplecoin"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def log_lines(self) -> int:
        with self.log_path.open("rb") as f:
            return sum(1 for _ in f)


def process_cpu(pid: int) -> float:
    """User + system seconds of a process, all its threads."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


SHARED_POSTGRES = (b"checkpointer", b"background writer", b"walwriter", b"autovacuum", b"logical replication")


def postgres_cpu(database: str | None) -> float:
    """User + system seconds of the PostgreSQL backends serving ``database`` and of the shared background ones.

    Other databases' backends (other people's tests on this machine) are left out; a backend that
    ends during a phase takes its seconds with it, so this is a floor.
    """
    if database is None:
        return 0.0
    name = database.encode()
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                raw = f.read()
            if b"(postgres)" not in raw[:64]:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = f.read()
        except OSError:
            continue
        if name in title or any(k in title for k in SHARED_POSTGRES):
            fields = raw.rsplit(b")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def core_times() -> dict[str, tuple[int, int]]:
    """(busy, total) jiffies per core from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                numbers = [int(v) for v in values]
                idle = numbers[3] + numbers[4]
                out[name] = (sum(numbers) - idle, sum(numbers))
    return out


def busy_seconds(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> float:
    """CPU seconds every core spent busy between the two readings, all processes."""
    return sum(after[name][0] - before[name][0] for name in after if name in before) / CLK_TCK


def core_busy(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> dict[str, float]:
    return {
        name: (after[name][0] - before[name][0]) / max(after[name][1] - before[name][1], 1)
        for name in after
        if name in before
    }


# ----- reading the server's databases directly ------------------------------------------------------------------


class Probe:
    """The log head, the views' positions and event counts, read from the databases the server writes."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self._lock = threading.Lock()
        self.database = database_url.rsplit("/", 1)[1] if database_url else None
        self.projections_off = False
        if database_url:
            import psycopg

            self._pg = psycopg.connect(database_url, autocommit=True)
            self._events = self._views = None
        else:
            self._pg = None
            self._events = sqlite3.connect(f"file:{data_dir / 'events.sqlite3'}?mode=ro", uri=True, check_same_thread=False)
            self._views = sqlite3.connect(f"file:{data_dir / 'views.sqlite3'}?mode=ro", uri=True, check_same_thread=False)

    def _query(self, which: str, sql: str) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._pg is not None:
                return list(self._pg.execute(sql).fetchall())
            connection = self._events if which == "events" else self._views
            assert connection is not None
            return connection.execute(sql).fetchall()

    def head(self) -> int:
        sql = "SELECT MAX(notification_id) FROM stored_events" if self._pg else "SELECT MAX(rowid) FROM stored_events"
        return int(self._query("events", sql)[0][0] or 0)

    def positions(self) -> dict[str, int]:
        return {name: int(position) for name, position in self._query("views", "SELECT name, position FROM projection_positions")}

    def lag(self) -> tuple[int, dict[str, int]]:
        head = self.head()
        return head, {name: max(head - p, 0) for name, p in self.positions().items()}

    def counts(self) -> dict[str, int]:
        if self._pg:
            by_topic = "SELECT topic, count(*) FROM stored_events GROUP BY topic"
            by_reason = (
                "SELECT convert_from(state, 'UTF8')::json->>'reason', count(*) FROM stored_events "
                f"WHERE topic = '{TOPIC}OrderClosed' GROUP BY 1"
            )
        else:
            by_topic = "SELECT topic, count(*) FROM stored_events GROUP BY topic"
            by_reason = (
                "SELECT json_extract(CAST(state AS TEXT), '$.reason'), count(*) FROM stored_events "
                f"WHERE topic = '{TOPIC}OrderClosed' GROUP BY 1"
            )
        out = {topic.rsplit(":", 1)[-1]: int(n) for topic, n in self._query("events", by_topic)}
        out.update({f"OrderClosed/{reason}": int(n) for reason, n in self._query("events", by_reason)})
        return out

    def close(self) -> None:
        for connection in (self._pg, self._events, self._views):
            if connection is not None:
                connection.close()


class LagSampler:
    """Samples the views' largest lag behind the log head every ``interval`` seconds, on a thread."""

    def __init__(self, probe: Probe, interval: float = 0.5) -> None:
        self._probe, self._interval = probe, interval
        self._stop = threading.Event()
        self.samples: list[tuple[float, int, int]] = []  # (t, head, max lag)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LagSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(self._interval):
            with suppress(Exception):
                head, lags = self._probe.lag()
                self.samples.append((time.monotonic() - start, head, max(lags.values(), default=0)))

    @property
    def max_lag(self) -> int:
        return max((lag for _, _, lag in self.samples), default=0)


def wait_for_views(probe: Probe, timeout: float) -> tuple[float, int, int]:
    """Wait until every view is at the head as it is now: (seconds taken, head, lag left if timed out)."""
    start = time.monotonic()
    head = probe.head()
    if probe.projections_off:
        return 0.0, head, head - min(probe.positions().values(), default=head)
    while True:
        lowest = min(probe.positions().values(), default=head)
        if lowest >= head:
            return time.monotonic() - start, head, 0
        if time.monotonic() - start > timeout:
            return time.monotonic() - start, head, head - lowest
        time.sleep(0.05)


# ----- set-up: wallets, sign-in, a token, money ------------------------------------------------------------------


def sign_in(client: httpx.Client, wallet: Wallet) -> str:
    nonce = client.post(f"{API}/auth/nonce", json={"address": wallet.address})
    nonce.raise_for_status()
    message = nonce.json()["message"]
    verified = client.post(
        f"{API}/auth/verify", json={"address": wallet.address, "message": message, "signature": wallet.sign(message)}
    )
    if verified.status_code != 200:
        raise RuntimeError(f"sign-in refused: {verified.status_code} {verified.text}")
    return str(verified.json()["access_token"])


@dataclass
class Market:
    token_id: str
    decimals: int
    tick: int  # micro-USD
    lot: int  # base units
    user_tokens: list[str]
    admin_token: str
    seconds: float


def set_up(url: str, admin: Wallet, users: int) -> Market:
    start = time.monotonic()
    wallets = [Wallet.new(ED25519) for _ in range(users)]
    with httpx.Client(base_url=url, timeout=30) as client:
        admin_token = sign_in(client, admin)
        tokens = [sign_in(client, w) for w in wallets]
        auth = {"Authorization": f"Bearer {admin_token}"}
        listed = client.post(
            f"{API}/admin/tokens",
            json={
                "symbol": SYMBOL,
                "name": "Bench token",
                "creator_wallet_address": wallets[0].address,
                "total_supply": "100000000",
                "initial_price": "1",
            },
            headers=auth,
        )
        if listed.status_code != 201:
            raise RuntimeError(f"listing refused: {listed.status_code} {listed.text}")
        token = listed.json()
        for wallet in wallets:
            for asset, amount in (("USD", "1000000"), (SYMBOL, "1000000")):
                done = client.post(
                    f"{API}/admin/deposits", json={"address": wallet.address, "asset": asset, "amount": amount}, headers=auth
                )
                if done.status_code != 201:
                    raise RuntimeError(f"deposit refused: {done.status_code} {done.text}")
    decimals = int(token["decimals"])
    return Market(
        token_id=token["id"],
        decimals=decimals,
        tick=to_units(token["tick_size"], USD_DECIMALS),
        lot=to_units(token["lot_size"], decimals),
        user_tokens=tokens,
        admin_token=admin_token,
        seconds=time.monotonic() - start,
    )


def to_units(text: str, decimals: int) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or 0)


# ----- profiling ----------------------------------------------------------------------------------------------------


class Profiler:
    def start(self) -> None: ...

    def stop(self) -> Summary | None: ...


class PySpy(Profiler):
    def __init__(self, executable: str, pid: int, out: Path, cpu: int | None, rate: int, gil: bool) -> None:
        self._command = [
            executable, "record", "--pid", str(pid), "--nonblocking", "--threads", "--rate", str(rate),
            "--format", "raw", "--output", str(out), *(["--gil"] if gil else []),
        ]  # fmt: skip
        self._out, self._cpu = out, cpu
        self._process: subprocess.Popen[bytes] | None = None
        self.log = out.with_suffix(".log")

    def start(self) -> None:
        log = self.log.open("wb")
        self._process = subprocess.Popen(self._command, stdout=log, stderr=log, preexec_fn=pin(self._cpu))
        time.sleep(0.3)
        if self._process.poll() is not None:
            print(f"  py-spy did not start: {self.log.read_text(errors='replace')[-500:]}")

    def stop(self) -> Summary | None:
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(60)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if not self._out.exists():
            print(f"  py-spy wrote nothing: {self.log.read_text(errors='replace')[-500:]}")
            return None
        with self._out.open() as f:
            return parse_raw(f)


class CProfile(Profiler):
    def __init__(self, pid: int, out: Path) -> None:
        self._pid, self._out = pid, out

    def start(self) -> None:
        os.kill(self._pid, signal.SIGUSR1)

    def stop(self) -> Summary | None:
        os.kill(self._pid, signal.SIGUSR2)
        deadline = time.monotonic() + 30
        while not self._out.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        return parse_cprofile(str(self._out)) if self._out.exists() else None


def py_spy_path() -> str | None:
    local = BIN / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


# ----- phases -------------------------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    result: dict[str, Any]
    server_cpu: float
    postgres_cpu: float
    cores: dict[str, float]
    others_cpu: float  # CPU seconds of every other process on the machine (other people's tests, py-spy, this one)
    loop_waited: float  # seconds the server's event-loop thread was runnable but had no core
    events: int
    max_lag: int
    lag_at_end: int
    log_lines: int

    @property
    def elapsed(self) -> float:
        return float(self.result["elapsed"])

    def ok(self, kind: str) -> int:
        return int(self.result["kinds"][kind]["ok"])

    def rate(self, kind: str) -> float:
        return self.ok(kind) / self.elapsed

    def non_2xx(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for kind, data in self.result["kinds"].items():
            bad = {code: n for code, n in data["codes"].items() if not code.startswith("2")}
            if bad:
                out[kind] = bad
        return out


def run_phase(
    name: str, spec: dict[str, Any], server: Server, probe: Probe, load_cpu: int | None, profiler: Profiler | None = None
) -> tuple[Phase, Summary | None]:
    head0, cpu0, pg0, cores0, lines0 = probe.head(), server.cpu_seconds(), postgres_cpu(probe.database), core_times(), server.log_lines()
    waited0 = server.loop_waited()
    summary = None
    with LagSampler(probe) as sampler:
        if profiler is not None:
            profiler.start()
        try:
            result = run_loadgen(spec, load_cpu)
        finally:
            if profiler is not None:
                summary = profiler.stop()
    head1, lags = probe.lag()
    cores1 = core_times()
    server_used, postgres_used = server.cpu_seconds() - cpu0, max(postgres_cpu(probe.database) - pg0, 0.0)
    phase = Phase(
        name=name,
        result=result,
        server_cpu=server_used,
        postgres_cpu=postgres_used,
        cores=core_busy(cores0, cores1),
        others_cpu=max(busy_seconds(cores0, cores1) - server_used - postgres_used - result["loadgen_cpu"], 0.0),
        loop_waited=server.loop_waited() - waited0,
        events=head1 - head0,
        max_lag=max(sampler.max_lag, max(lags.values(), default=0)),
        lag_at_end=max(lags.values(), default=0),
        log_lines=server.log_lines() - lines0,
    )
    return phase, summary


def run_loadgen(spec: dict[str, Any], load_cpu: int | None) -> dict[str, Any]:
    """One run of ``bench.http_loadgen`` with ``spec``, on core ``load_cpu``: its JSON result."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.http_loadgen"],
        preexec_fn=pin(None),
        input=json.dumps({**spec, "cpu": load_cpu}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=spec["duration"] + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# ----- one backend --------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    backend: str
    setup_seconds: float
    phases: list[Phase]
    catch_up: tuple[float, int, int]
    catch_up_final: tuple[float, int, int]
    counts: dict[str, int]
    metrics: dict[str, int]
    book: dict[str, Any]
    ryw: tuple[int, float, str]
    status_text: str
    profile: Summary | None
    client_totals: dict[str, int]
    breakdown: list[Phase]


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_redis_prefix(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def server_env(data_dir: Path, admin: Wallet) -> dict[str, str]:
    """A benchmarked server's environment: this one's without any ``PEOPLECOIN_`` setting, then ``data_dir``,
    rate limits off and ``admin`` the admin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEOPLECOIN_")}
    env.update(
        PEOPLECOIN_DATA_DIR=str(data_dir),
        PEOPLECOIN_RATE_LIMITS="off",
        PEOPLECOIN_ADMIN_ADDRESSES=admin.address,
    )
    return env


def run_backend(backend: str, args: argparse.Namespace, cpus: tuple[int | None, int | None]) -> Outcome:
    server_cpu, load_cpu = cpus
    with tempfile.TemporaryDirectory(prefix=f"peoplecoin-bench-{backend}-") as tmp_text:
        tmp = Path(tmp_text)
        admin = Wallet.new(ED25519)
        env = server_env(tmp / "data", admin)
        if args.log_level:
            env["PEOPLECOIN_LOG_LEVEL"] = args.log_level
        if args.server_path:
            env["PYTHONPATH"] = os.pathsep.join([args.server_path, *filter(None, [env.get("PYTHONPATH")])])
        redis_prefix = None
        if args.redis:
            redis_prefix = f"peoplecoin-bench-{secrets.token_hex(4)}:"
            env.update(PEOPLECOIN_REDIS_URL=REDIS_URL, PEOPLECOIN_REDIS_PREFIX=redis_prefix)
        with database_for(backend) as database_url:
            if database_url:
                env["PEOPLECOIN_DATABASE_URL"] = database_url
            profiler_kind = choose_profiler(args)
            command = [str(BIN / "peoplecoin"), "serve"]
            if profiler_kind == "cprofile" or args.whatif:
                command = [sys.executable, "-m", "bench.http_server"]
            if profiler_kind == "cprofile":
                env["BENCH_CPROFILE_OUT"] = str(tmp / "server.pstats")
            if args.whatif:
                env["BENCH_WHATIF"] = ",".join(args.whatif)
            server = Server(env, tmp / "server.log", server_cpu, command)
            probe: Probe | None = None
            try:
                server.start()
                market = set_up(server.url, admin, args.users)
                probe = Probe(tmp / "data", database_url)
                probe.projections_off = "no-projections" in args.whatif
                print(
                    f"  server up on :{server.port}; {args.users} users signed in, {SYMBOL} listed, deposits done "
                    f"in {market.seconds:.1f}s",
                    flush=True,
                )
                return drive(backend, args, server, probe, market, load_cpu, profiler_kind, tmp)
            except BaseException:
                print(f"  server log tail:\n{server.log_tail()}", file=sys.stderr)
                raise
            finally:
                server.stop()
                if probe is not None:
                    probe.close()
                if redis_prefix:
                    with suppress(Exception):
                        drop_redis_prefix(redis_prefix)
                if args.keep:
                    kept = Path(tempfile.mkdtemp(prefix=f"peoplecoin-bench-kept-{backend}-"))
                    shutil.copytree(tmp, kept, dirs_exist_ok=True)
                    print(f"  kept the data dir, log and profile in {kept}")


@contextmanager
def database_for(backend: str) -> Iterator[str | None]:
    if backend == "postgres":
        with postgres_database(f"peoplecoin_bench_{os.getpid()}_{secrets.token_hex(3)}") as url:
            yield url
    else:
        yield None


def choose_profiler(args: argparse.Namespace) -> str | None:
    if not args.profile:
        return None
    if args.profiler in ("auto", "py-spy") and py_spy_path():
        return "py-spy"
    if args.profiler == "py-spy":
        print("  py-spy not found (`.venv/bin/pip install py-spy`); using cProfile", file=sys.stderr)
    return "cprofile"


def drive(
    backend: str,
    args: argparse.Namespace,
    server: Server,
    probe: Probe,
    market: Market,
    load_cpu: int | None,
    profiler_kind: str | None,
    tmp: Path,
) -> Outcome:
    base = load_spec(market, server.port, args.clients, args.seed)
    phases: list[Phase] = []
    if args.warmup > 0:
        warm, _ = run_phase("warm-up", {**base, "mode": "closed", "duration": args.warmup}, server, probe, load_cpu)
        print(f"  warm-up: {warm.rate('place'):,.0f} orders/s over {warm.elapsed:.1f}s", flush=True)
        phases.append(warm)
        wait_for_views(probe, CATCH_UP_TIMEOUT)
    profiler: Profiler | None = None
    assert server.process is not None
    if profiler_kind == "py-spy":
        profiler = PySpy(
            py_spy_path() or "py-spy", server.process.pid, tmp / "py-spy.txt", load_cpu, args.profile_rate, args.profile_gil
        )
    elif profiler_kind == "cprofile":
        profiler = CProfile(server.process.pid, tmp / "server.pstats")
    saturation, summary = run_phase(
        "saturation",
        {**base, "mode": "closed", "duration": args.duration, "seed": args.seed + 1},
        server,
        probe,
        load_cpu,
        profiler,
    )
    phases.append(saturation)
    print(
        f"  saturation: {saturation.rate('place'):,.0f} orders/s; views lag {saturation.lag_at_end:,} events at the end",
        flush=True,
    )
    catch_up = wait_for_views(probe, CATCH_UP_TIMEOUT)
    print(f"  views caught up in {catch_up[0]:.1f}s" + (f" (NOT: {catch_up[2]:,} behind)" if catch_up[2] else ""), flush=True)
    fixed, _ = run_phase(
        f"fixed {args.rate:,.0f}/s",
        {**base, "mode": "open", "duration": args.duration, "rate": args.rate, "seed": args.seed + 2},
        server,
        probe,
        load_cpu,
    )
    phases.append(fixed)
    print(f"  fixed rate: {fixed.rate('place') + fixed.rate('cancel'):,.0f} cmds/s achieved", flush=True)

    # The server's own view, right after the load stopped.
    head = probe.head()
    ryw = (0, 0.0, "skipped: projections off") if probe.projections_off else read_your_writes(server.url, market.user_tokens[0], head)
    status = server.cli("projections", "status")
    status_text = status.stdout.strip() if status.returncode == 0 else f"(failed: {status.stderr.strip()[-500:]})"
    catch_up_final = wait_for_views(probe, CATCH_UP_TIMEOUT)
    breakdown: list[Phase] = []
    if args.breakdown > 0:
        for label, fixed in BREAKDOWN:
            phase, _ = run_phase(
                label, {**base, "mode": "closed", "duration": args.breakdown, "fixed": fixed}, server, probe, load_cpu
            )
            breakdown.append(phase)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        metrics = request_counts(client.get("/metrics").text)
        book = client.get(f"{API}/orderbook/{SYMBOL}", params={"depth": 500}).json()
    totals = {
        "place_2xx": sum(p.ok("place") for p in phases),
        "cancel_2xx": sum(p.ok("cancel") for p in phases),
    }
    return Outcome(
        backend=backend,
        setup_seconds=market.seconds,
        phases=phases,
        catch_up=catch_up,
        catch_up_final=catch_up_final,
        counts=probe.counts(),
        metrics=metrics,
        book=book,
        ryw=ryw,
        status_text=status_text,
        profile=summary,
        client_totals=totals,
        breakdown=breakdown,
    )


def load_spec(market: Market, port: int, clients: int, seed: int) -> dict[str, Any]:
    """The load generator's spec (without its mode and duration): ``clients`` connections to ``port`` spread
    over the market's signed-in users, limit orders around 1.00 USD with some IOC and cancels."""
    return {
        "host": "127.0.0.1",
        "port": port,
        "tokens": market.user_tokens,
        "clients": clients,
        "token_id": market.token_id,
        "tick_units": market.tick,
        "lot_units": market.lot,
        "usd_decimals": USD_DECIMALS,
        "token_decimals": market.decimals,
        "mid_ticks": 10**USD_DECIMALS // market.tick,  # 1.00 USD
        "behind": 8,
        "through": 4,
        "ioc_share": 0.1,
        "cancel_share": 0.1,
        "pool": 512,
        "seed": seed,
    }


def read_your_writes(url: str, token: str, head: int) -> tuple[int, float, str]:
    """GET /orders?min_position=<log head> as soon as the load stops: (status, seconds, code when refused)."""
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=30) as client:
        response = client.get(
            f"{API}/orders", params={"min_position": head, "limit": 1}, headers={"Authorization": f"Bearer {token}"}
        )
    code = "" if response.status_code == 200 else str(response.json().get("code", response.text[:80]))
    return response.status_code, time.monotonic() - start, code


def request_counts(text: str) -> dict[str, int]:
    """The server's Prometheus counters of order placements and cancels, by status code."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        if not line.startswith("peoplecoin_requests_total{"):
            continue
        labels, _, value = line.rpartition(" ")
        if 'path="/api/v1/orders"' in labels and 'method="POST"' in labels:
            kind = "place"
        elif 'path="/api/v1/orders/{order_id}"' in labels and 'method="DELETE"' in labels:
            kind = "cancel"
        else:
            continue
        status = labels.split('status_code="', 1)[1].split('"', 1)[0]
        out[f"{kind} {status}"] = out.get(f"{kind} {status}", 0) + int(float(value))
    return out


# ----- printing -----------------------------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.2f}"


def print_outcome(outcome: Outcome, args: argparse.Namespace, cpus: tuple[int | None, int | None]) -> None:
    title = {"sqlite": "SQLite (embedded default)", "postgres": "PostgreSQL"}[outcome.backend]
    if args.redis:
        title += " + Redis"
    knobs = [*(f"what-if {w}" for w in args.whatif)]
    if args.log_level:
        knobs.append(f"log level {args.log_level}")
    if args.server_path:
        knobs.append(f"server path {args.server_path}")
    if knobs:
        title += " [" + ", ".join(knobs) + "]"
    print()
    print(f"=== {title}: {args.clients} clients over {args.users} users; every 2xx is durable ===")
    header = (
        f"{'phase':<16}{'orders/s':>10}{'cancels/s':>10}{'cmds/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}"
        f"{'max ms':>9}{'srv CPU':>9}{'µs/cmd':>8}{'no core':>8}{'PG CPU':>8}{'load':>6}{'others':>8}{'events/s':>10}{'view lag':>10}"
    )
    print(header)
    print("-" * len(header))
    for phase in outcome.phases[1:] if outcome.phases and outcome.phases[0].name == "warm-up" else outcome.phases:
        lat = phase.result["all_latency"]
        print(
            f"{phase.name:<16}{phase.rate('place'):>10,.0f}{phase.rate('cancel'):>10,.0f}"
            f"{phase.rate('place') + phase.rate('cancel'):>9,.0f}{ms(lat['p50']):>9}{ms(lat['p99']):>9}"
            f"{ms(lat['p99.9']):>10}{ms(lat['max']):>9}{100 * phase.server_cpu / phase.elapsed:>8.0f}%"
            f"{1e6 * phase.server_cpu / max(phase.ok('place') + phase.ok('cancel'), 1):>8,.0f}"
            f"{100 * phase.loop_waited / phase.elapsed:>7.0f}%"
            f"{100 * phase.postgres_cpu / phase.elapsed:>7.0f}%{100 * phase.result['loadgen_cpu'] / phase.elapsed:>5.0f}%"
            f"{100 * phase.others_cpu / phase.elapsed:>7.0f}%{phase.events / phase.elapsed:>10,.0f}"
            f"{phase.max_lag:>10,}"
        )
    print(
        "  (latency: every 2xx command, ms; srv CPU: the server process, all threads, % of one core; µs/cmd: server CPU\n"
        "   per acknowledged command, the figure other load on the machine disturbs least; no core: time the server's\n"
        "   event-loop thread was ready to run but had no core (its own threads or other processes held it); PG CPU: PostgreSQL backends of\n"
        "   this database; load: the load generator; others: every other process on the machine; view lag: the views'\n"
        "   largest lag behind the log head during the phase, events)"
    )
    print()
    print("latency by kind (ms: p50 / p99 / p99.9), non-2xx answers, load generator:")
    for phase in outcome.phases:
        if phase.name == "warm-up":
            continue
        kinds = phase.result["kinds"]
        parts = []
        for kind in ("place", "cancel"):
            lat = kinds[kind]["latency"]
            parts.append(f"{kind} {ms(lat['p50'])} / {ms(lat['p99'])} / {ms(lat['p99.9'])} (n={kinds[kind]['ok']:,})")
        print(f"  {phase.name}: " + "; ".join(parts))
        bad = phase.non_2xx()
        print(f"    non-2xx: {json.dumps(bad) if bad else 'none'}" + (f"  connection errors: {phase.result['errors']}" if phase.result["errors"] else ""))
        for code, body in phase.result["error_bodies"].items():
            print(f"      first {code}: {body[:200]}")
        lag = phase.result.get("send_lag")
        extra = f"; send lag behind schedule p50 {ms(lag['p50'])} / p99 {ms(lag['p99'])} ms" if lag else ""
        if phase.result.get("unsent"):
            extra += f"; {phase.result['unsent']:,} scheduled commands unsent at the end (backlog)"
        cores = ", ".join(f"{name} {100 * busy:.0f}%" for name, busy in sorted(phase.cores.items()))
        print(
            f"    load generator CPU {100 * phase.result['loadgen_cpu'] / phase.elapsed:.0f}% of a core{extra}; "
            f"server log lines/s {phase.log_lines / phase.elapsed:,.0f}; cores busy: {cores}"
        )
    print()
    print("the server's own view:")
    metrics = outcome.metrics
    print(f"  /metrics requests_total: {', '.join(f'{k}: {v:,}' for k, v in sorted(metrics.items()))}")
    print(
        f"  load generator 2xx (all phases): placements {outcome.client_totals['place_2xx']:,}, "
        f"cancels {outcome.client_totals['cancel_2xx']:,}"
    )
    counts = outcome.counts
    print(
        "  event log: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()) if k not in ("MarketOpened", "TokenListed"))
    )
    accepted = counts.get("OrderAccepted", 0)
    user_cancels = counts.get("OrderClosed/user", 0)
    placed_2xx = metrics.get("place 201", 0) + metrics.get("place 200", 0)
    print(
        f"  check: OrderAccepted {accepted:,} vs placements acknowledged {outcome.client_totals['place_2xx']:,} "
        f"(client) / {placed_2xx:,} (server) -> {'equal' if accepted == outcome.client_totals['place_2xx'] == placed_2xx else 'DIFFERENT'}; "
        f"OrderClosed/user {user_cancels:,} vs cancels acknowledged {outcome.client_totals['cancel_2xx']:,} "
        f"-> {'equal' if user_cancels == outcome.client_totals['cancel_2xx'] else 'DIFFERENT'}"
    )
    bids, asks = outcome.book.get("bids", []), outcome.book.get("asks", [])
    best_bid = bids[0]["price"] if bids else None
    best_ask = asks[0]["price"] if asks else None
    crossed = best_bid is not None and best_ask is not None and float(best_bid) >= float(best_ask)
    resting = sum(level["orders"] for level in bids + asks)
    print(
        f"  order book: best bid {best_bid}, best ask {best_ask} -> {'CROSSED' if crossed else 'not crossed'}; "
        f"{len(bids)} bid and {len(asks)} ask levels, {resting:,} resting orders"
    )
    t, head, left = outcome.catch_up
    print(
        f"  projections: max lag during saturation {outcome.phases[-2].max_lag:,} events; caught up "
        + (f"in {t:.1f}s after it" if not left else f"NOT within {t:.0f}s ({left:,} behind)")
    )
    fixed = outcome.phases[-1]
    t, head, left = outcome.catch_up_final
    print(
        f"  projections: max lag during the fixed rate {fixed.max_lag:,} events, {fixed.lag_at_end:,} when it stopped; "
        + (f"at the head ({head:,}) {t:.1f}s later" if not left else f"NOT caught up in {t:.0f}s ({left:,} behind)")
    )
    status, seconds, code = outcome.ryw
    print(
        f"  GET /api/v1/orders?min_position=<head> right after the load: {status} in {seconds * 1000:.0f} ms"
        + (f" ({code})" if code else "")
    )
    print("  `peoplecoin projections status` right after the load:")
    for line in outcome.status_text.splitlines():
        print(f"    {line}")
    if outcome.breakdown:
        print()
        print(f"cost breakdown: one request over and over, {args.clients} clients, closed loop (compare with the order mix above):")
        print(f"  {'request':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'srv CPU':>9}{'µs/req':>8}{'load':>6}{'others':>8}   non-2xx")
        saturation = next(p for p in outcome.phases if p.name == "saturation")
        rows = [*outcome.breakdown, saturation]
        for phase in rows:
            n = phase.ok("fixed") + phase.ok("place") + phase.ok("cancel")
            lat = phase.result["all_latency"]
            label = "order mix (saturation)" if phase is saturation else phase.name
            print(
                f"  {label:<22}{n / phase.elapsed:>9,.0f}{ms(lat['p50']):>9}{ms(lat['p99']):>9}"
                f"{100 * phase.server_cpu / phase.elapsed:>8.0f}%{1e6 * phase.server_cpu / max(n, 1):>8,.0f}"
                f"{100 * phase.result['loadgen_cpu'] / phase.elapsed:>5.0f}%{100 * phase.others_cpu / phase.elapsed:>7.0f}%   "
                f"{json.dumps(phase.non_2xx()) if phase.non_2xx() else 'none'}"
            )
    if outcome.profile is not None:
        print()
        print(f"--- profile of the server during saturation ({outcome.backend}) ---")
        print(report(outcome.profile))


def print_targets(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    print()
    print("=== targets ===")
    for outcome in outcomes:
        saturation = next(p for p in outcome.phases if p.name == "saturation")
        fixed = outcome.phases[-1]
        rate = saturation.rate("place")
        p99 = fixed.result["all_latency"]["p99"]
        achieved = fixed.rate("place") + fixed.rate("cancel")
        print(
            f"  {outcome.backend:<9} saturation {rate:>7,.0f} durable orders/s (target {TARGET_ORDERS_PER_SECOND:,}): "
            f"{'met' if rate >= TARGET_ORDERS_PER_SECOND else 'MISSED'}  |  "
            f"p99 ack {ms(p99)} ms at {achieved:,.0f}/s achieved of {args.rate:,.0f}/s offered "
            f"(target < {TARGET_P99_SECONDS * 1000:.0f} ms at {TARGET_RATE:,}/s): "
            + ("met" if p99 is not None and p99 < TARGET_P99_SECONDS and args.rate >= TARGET_RATE and achieved >= 0.99 * args.rate else "MISSED")
        )
        commands = saturation.ok("place") + saturation.ok("cancel")
        per = saturation.server_cpu / max(commands, 1)
        print(
            f"  {'':<9} server CPU {per * 1e6:,.0f} µs per command at saturation: one core of its own would ack at most "
            f"~{1 / per if per else 0:,.0f} commands/s; {TARGET_ORDERS_PER_SECOND:,}/s needs <= {1e6 / TARGET_ORDERS_PER_SECOND:.0f} µs"
        )


# ----- main ---------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each measured phase (20)")
    parser.add_argument("--clients", type=int, default=64, help="connections, one simulated client each (64)")
    parser.add_argument("--users", type=int, default=64, help="signed-in traders the clients are spread over (64)")
    parser.add_argument("--rate", type=float, default=float(TARGET_RATE), help="commands/s of the fixed-rate phase (1000)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unreported closed loop first (2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="profile the server during the saturation phase")
    parser.add_argument("--profiler", choices=["auto", "py-spy", "cprofile"], default="auto")
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second (100)")
    parser.add_argument(
        "--profile-gil", action="store_true", help="py-spy --gil: sample only the thread holding the GIL (the one core Python code gets)"
    )
    parser.add_argument(
        "--breakdown", type=float, default=0.0, metavar="S",
        help="after the phases, S seconds each of GET /health, a public GET and an authenticated GET (0: skip)",
    )  # fmt: skip
    parser.add_argument("--redis", action="store_true", help=f"also give the server Redis ({REDIS_URL}) as the tests do")
    parser.add_argument(
        "--log-level", help="PEOPLECOIN_LOG_LEVEL for the server (default: unset, INFO, as shipped: one access-log line per request)"
    )
    parser.add_argument(
        "--server-path", metavar="DIR",
        help="put DIR first on the server's PYTHONPATH, e.g. one made by `pip install --target DIR uvloop httptools`, "
        "to see what they change without installing them into the venv",
    )  # fmt: skip
    parser.add_argument(
        "--whatif", action="append", choices=["no-revocation-lookup", "no-projections"], default=[],
        help="serve through bench.http_server with this cost patched out, to measure it (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--nice", type=int, default=0,
        help="niceness added to the server, load generator and py-spy (e.g. -10 as root, when other work shares the machine)",
    )  # fmt: skip
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server and the load to separate cores")
    parser.add_argument("--keep", action="store_true", help="keep a copy of the data dir, server log and profile")
    return parser.parse_args(argv)


def choose_cpus(no_pin: bool) -> tuple[int | None, int | None]:
    """(the server's core, the load's core): the first two this process may run on, and this process moved to
    the second; (None, None) when not pinning or with fewer than two cores."""
    available = sorted(os.sched_getaffinity(0))
    if no_pin or len(available) < 2:
        return None, None
    os.sched_setaffinity(0, {available[1]})
    return available[0], available[1]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    global NICE
    NICE = args.nice
    cpus = choose_cpus(args.no_pin)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(
        f"http_load: {', '.join(backends)}; {args.duration:g}s per phase, {args.clients} clients, {args.users} users, "
        f"fixed rate {args.rate:,.0f}/s; "
        + (f"server on CPU {cpus[0]}, load on CPU {cpus[1]}" if cpus[0] is not None else "no CPU pinning")
        + f"; {os.cpu_count()} cores",
        flush=True,
    )
    outcomes = []
    started = time.monotonic()
    for backend in backends:
        print(f"\n[{backend}]", flush=True)
        outcome = run_backend(backend, args, cpus)
        outcomes.append(outcome)
        print_outcome(outcome, args, cpus)
    print_targets(outcomes, args)
    print(f"\n(total {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
