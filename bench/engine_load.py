"""The engine alone at saturation: ``peoplecoin engine`` fed trading commands straight into its Redis stream.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.engine_load [--commands N] [--users U] [--rate R]
        [--duration S] [--seed N] [--no-reference] [--no-pin]

``bench.scaleout`` measures the engine inside the whole topology, where the
api processes are the bottleneck: the engine idles at a quarter of a core
and reads ~4 commands per Redis read, so its CPU per command is mostly
per-batch cost. Here nothing stands in front of it, so its group commits
grow as large as it lets them.

It starts ``peoplecoin engine`` (pinned to the servers' core, as
``bench.scaleout`` pins it), ``peoplecoin projector`` and one ``peoplecoin
api`` (any core) on one fresh PostgreSQL database and one fresh Redis
prefix, and sets them up through the api as ``bench.http_load`` does
(``--users`` traders signed in, one token listed, deposits). The listing
waits for the projector's market view, so the projector runs for the
set-up and is stopped after it; the api stays up, idle (it follows the
log). This process (on the load's core) builds every command first: limit
orders around
1.00 USD from ``BEHIND`` ticks on their own side of the mid to ``THROUGH``
ticks across it, more across than behind so that most cross and the book
stays a few levels deep (there are no cancels), 1 to 20 lots, 10 % IOC,
from the traders in turn.
Each is a real ``PlaceOrder`` of a ``NewOrder`` with a fresh id, shaped as
the HTTP controller shapes it (``new_order``), wrapped by
``redis_streams.entry`` with a reply channel of this process's own: the
bytes an api process sends. Answers come back on that channel (subscribed
as ``RedisCommandBus`` subscribes, confirmed before the first command) and
a thread counts them, reading each batch's keys and flags (a refusal's
code too), nothing else.

Phases:

1. saturation: all ``--commands`` entries XADDed in pipelines of
   ``PIPELINE`` as fast as Redis takes them, far faster than the engine
   reads, then waited for until every one is answered. Figures over the
   first XADD to the last answer;
2. fixed rate (``--rate`` commands/s for ``--duration`` seconds, paced
   XADDs; ``--rate 0`` skips it): the same figures, and the answer latency
   from each command's scheduled time to its answer arriving here.

For each: commands/s answered; the engine's CPU (utime+stime of its
process) per command, over the phase and (``+after``) with what it used in
the ``SETTLE`` seconds after the last answer less its idle use (work a
phase caused that lands after it: acknowledgements; an engine process keeps
no committed market, so it reads nothing back); the ``+after`` figure is the
one laid beside the reference's. Then commands per Redis read (XREADGROUP calls) and per group
commit (distinct transaction ids, ``xmin``, of the phase's rows in
``stored_events``: exact, where ``pg_stat_database.xact_commit`` counts
every session's reads too and reaches the view up to 10 s late); commands
per XACK and per PUBLISH (server-wide ``INFO commandstats`` deltas:
another client of this Redis counts too; PUBLISH holds the engine's append
nudges as well as its answers); answers per message received; PostgreSQL
(the database's backends and the shared background ones), Redis (every
redis-server) and the idle api as % of a core. The engine is given
``PEOPLECOIN_COMMAND_TIMEOUT=60``: with the default 5 s it would drop,
unanswered, every command that waited in the stream longer than that, and
at saturation most wait longer.

Last, unless ``--no-reference``: the reference server
(``../shared/bench/reference_server.py`` on PostgreSQL) under the usual HTTP
load, run by ``bench.scaleout.run_reference`` with the same users' tokens,
``--duration`` seconds per phase and ``--rate``; and the engine's CPU per
command over the reference's at saturation, next to the scale-out issue's
target (<= 0.25x), and the engine's commands/s over the reference's
orders/s. The engine takes no HTTP and the reference does: the ratio is the
engine's share of a durable order's cost, as the issue sets it. Nothing
asserts a figure. A default run takes about a minute and a half.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import jwt  # noqa: E402
import msgspec  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402

from adapters.auth.jwt import ALGORITHM, ISSUER  # noqa: E402
from adapters.commands.redis_streams import REPLIES_CHANNEL, STREAM_MAX_LEN, entry, stream_key  # noqa: E402
from application.trading.commands import PlaceOrder, Refusal  # noqa: E402
from bench.http_load import (  # noqa: E402
    API,
    EVERY_CPU,
    REDIS_URL,
    TARGET_RATE,
    Market,
    Server,
    choose_cpus,
    core_busy,
    core_times,
    database_for,
    drop_redis_prefix,
    ms,
    postgres_cpu,
    set_up,
)
from bench.scaleout import (  # noqa: E402
    REFERENCE_DIR,
    TARGET_ENGINE_CPU,
    Target,
    parse_args as scaleout_args,
    ratio,
    redis_cpu,
    run_reference,
    stop_all,
    times,
    topology_servers,
    us,
    verdict,
)
from domain.orderbook.order import BUY, GTC, IOC, LIMIT, SELL, NewOrder  # noqa: E402
from domain.shared.money import USD_DECIMALS  # noqa: E402
from tests.support.wallets import ED25519, Wallet  # noqa: E402

PIPELINE = 500  # XADDs per pipeline
BEHIND, THROUGH = 2, 6  # ticks: a price from BEHIND on its own side of the mid to THROUGH across it
MAX_LOTS = 20
IOC_SHARE = 0.1
ENGINE_COMMAND_TIMEOUT = "60"  # seconds (the most config allows): the backlog must not expire in the stream
ANSWER_TIMEOUT = 120.0  # seconds to wait for the last answer of a phase
SETTLE = 1.0  # seconds after the last answer in which what the engine still does (acknowledgements) is counted
REDIS_CALLS = ("xadd", "xreadgroup", "xack", "publish")

_BATCH = msgspec.msgpack.Decoder(list[tuple[bytes, bool, msgspec.Raw]])  # (key, ok, payload): payload left unread
_REFUSAL = msgspec.msgpack.Decoder(Refusal)


# ----- the commands -------------------------------------------------------------------------------------------------


def user_ids(market: Market, secret: str) -> list[uuid.UUID]:
    """The signed-in traders' ids, from their access tokens (what the api reads from the bearer token)."""
    return [uuid.UUID(jwt.decode(t, secret, algorithms=[ALGORITHM], issuer=ISSUER)["sub"]) for t in market.user_tokens]


class OrderFlow:
    """Limit orders around 1.00 USD from the traders in turn, seeded; each a stream entry ready to XADD."""

    def __init__(self, market: Market, users: list[uuid.UUID], seed: int) -> None:
        self._token_id = uuid.UUID(market.token_id)
        self._users, self._tick, self._lot = users, market.tick, market.lot
        self._mid = 10**USD_DECIMALS // market.tick
        self._rng = random.Random(seed)
        self._next_user = 0

    def entries(self, count: int, channel: str) -> list[tuple[bytes, dict[str, bytes]]]:
        """``count`` placements as (command id, stream entry), every one encoded now."""
        rng, out = self._rng, []
        for _ in range(count):
            side = BUY if rng.random() < 0.5 else SELL
            offset = rng.randint(-BEHIND, THROUGH)  # > 0: across the mid, towards the other side's orders
            ticks = self._mid + offset if side == BUY else self._mid - offset
            order = NewOrder(
                order_id=uuid.uuid4(),
                user_id=self._users[self._next_user],
                side=side,
                type=LIMIT,
                price=ticks * self._tick,
                quantity=rng.randint(1, MAX_LOTS) * self._lot,
                time_in_force=IOC if rng.random() < IOC_SHARE else GTC,
            )
            self._next_user = (self._next_user + 1) % len(self._users)
            key = order.order_id.bytes  # EngineClient's command id of a placement: its order id
            out.append((key, entry(PlaceOrder.__name__, key, channel, PlaceOrder(self._token_id, order))))
        return out


# ----- the answers --------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """One phase's answers: counted by flag (refusals by code), each one's latency from its entry in ``sent``."""

    expected: int
    sent: dict[bytes, float] = field(default_factory=dict)  # command id -> when it was sent (or due)
    ok: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    messages: int = 0
    last_at: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def answered(self) -> int:
        return self.ok + sum(self.refused.values())

    def take(self, message: bytes, now: float) -> None:
        self.messages += 1
        for key, ok, payload in _BATCH.decode(message):
            sent = self.sent.pop(key, None)
            if sent is None:
                continue
            if ok:
                self.ok += 1
            else:
                self.refused[_REFUSAL.decode(payload).code] += 1
            self.latencies.append(now - sent)
        self.last_at = now
        if self.answered >= self.expected:
            self.done.set()


class Answers:
    """This process's reply channel, subscribed as ``RedisCommandBus`` subscribes (the pub/sub prefix + its
    own name), confirmed before it returns; a thread hands every message to the current ``Tally``."""

    def __init__(self, prefix: str) -> None:
        self.channel = REPLIES_CHANNEL + uuid.uuid4().hex
        self._client = redis.Redis.from_url(REDIS_URL)
        self._pubsub = self._client.pubsub()
        self._pubsub.subscribe(prefix + self.channel)
        deadline = time.monotonic() + 10
        while (confirmed := self._pubsub.get_message(timeout=1)) is None or confirmed["type"] != "subscribe":
            if time.monotonic() > deadline:
                raise RuntimeError("Redis did not confirm the subscription to the reply channel")
        self.tally = Tally(0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="answers", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        clock = time.perf_counter
        while not self._stop.is_set():
            message = self._pubsub.get_message(timeout=0.2)
            if message is not None and message["type"] == "message":
                self.tally.take(message["data"], clock())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._pubsub.close()
        self._client.close()


# ----- one phase ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """Counters read before and after a phase."""

    engine: float  # CPU seconds
    engine_waited: float  # seconds its main thread was runnable with no core
    api: float
    postgres: float
    redis: float
    calls: dict[str, int]  # Redis commandstats calls
    head: int  # the log's last position
    cores: dict[str, tuple[int, int]]


@dataclass
class Run:
    name: str
    tally: Tally
    elapsed: float  # the first XADD (or slot) to the last answer
    sending: float  # seconds taken by the XADDs
    before: Reading
    after: Reading
    commits: int  # transactions that stored the phase's events
    events: int
    topics: dict[str, int]
    settled: float  # the engine's CPU seconds from the first XADD to SETTLE after the last answer, idle use taken off

    def calls(self, command: str) -> int:
        return self.after.calls.get(command, 0) - self.before.calls.get(command, 0)

    def cpu(self, what: str) -> float:
        return float(getattr(self.after, what) - getattr(self.before, what))

    def per_command(self, settled: bool = False) -> float | None:
        """µs of the engine's CPU per answered command: up to the last answer, or with what it did after it."""
        used = self.settled if settled else self.cpu("engine")
        return 1e6 * used / self.tally.answered if self.tally.answered else None

    def rate(self) -> float:
        return self.tally.answered / self.elapsed if self.elapsed else 0.0

    def share(self, what: str) -> str:
        return f"{100 * self.cpu(what) / self.elapsed:.0f}%" if self.elapsed else "-"

    def latency(self, q: float) -> float | None:
        ordered = sorted(self.tally.latencies)
        return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))] if ordered else None


class Bench:
    """The running engine and api, the database and Redis they use, and the figures around one phase."""

    def __init__(self, servers: dict[str, Server], database_url: str, prefix: str, answers: Answers) -> None:
        self.servers, self.answers = servers, answers
        self.database = database_url.rsplit("/", 1)[1]
        self._pg = psycopg.connect(database_url, autocommit=True)
        self._redis = redis.Redis.from_url(REDIS_URL)
        self._key = stream_key(prefix)
        self.idle = 0.0  # the engine's CPU seconds per second with nothing to do

    def measure_idle(self) -> None:
        """The engine's own use at rest, over SETTLE seconds (by then it has read back the set-up's events)."""
        engine = self.servers["engine"]
        time.sleep(SETTLE)
        used = engine.cpu_seconds()
        time.sleep(SETTLE)
        self.idle = (engine.cpu_seconds() - used) / SETTLE

    def close(self) -> None:
        self._pg.close()
        self._redis.close()

    def read(self) -> Reading:
        stats = self._redis.info("commandstats")
        engine = self.servers["engine"]
        return Reading(
            engine=engine.cpu_seconds(),
            engine_waited=engine.loop_waited(),
            api=self.servers["api"].cpu_seconds(),
            postgres=postgres_cpu(self.database),
            redis=redis_cpu(),
            calls={name: int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in REDIS_CALLS},
            head=int(self._pg.execute("SELECT COALESCE(MAX(notification_id), 0) FROM stored_events").fetchone()[0]),
            cores=core_times(),
        )

    def send(self, batch: list[tuple[bytes, dict[str, bytes]]], due: list[float] | None = None) -> None:
        """XADD ``batch`` in one pipeline, as ``RedisCommandBus`` does; each registered first with its time."""
        sent = self.answers.tally.sent
        now = time.perf_counter()
        pipe = self._redis.pipeline(transaction=False)
        for i, (key, fields) in enumerate(batch):
            sent[key] = now if due is None else due[i]
            pipe.xadd(self._key, fields, maxlen=STREAM_MAX_LEN, approximate=True)  # type: ignore[arg-type]
        pipe.execute()

    def phase(self, name: str, entries: list[tuple[bytes, dict[str, bytes]]], rate: float | None) -> Run:
        """Send ``entries`` (all at once, or paced at ``rate``/s) and wait for every answer."""
        tally = self.answers.tally = Tally(len(entries))
        before = self.read()
        start = time.perf_counter()
        if rate is None:
            for i in range(0, len(entries), PIPELINE):
                self.send(entries[i : i + PIPELINE])
        else:
            start += 0.01
            sent = 0
            while sent < len(entries):
                due = min(len(entries), int((time.perf_counter() - start) * rate) + 1)
                if due > sent:  # the slots due by now, in one pipeline (one, unless this thread was late)
                    self.send(entries[sent:due], [start + k / rate for k in range(sent, due)])
                    sent = due
                else:
                    time.sleep(max(start + sent / rate - time.perf_counter(), 0.0))
        sending = time.perf_counter() - start
        tally.done.wait(ANSWER_TIMEOUT)
        after = self.read()
        elapsed = (tally.last_at or time.perf_counter()) - start
        time.sleep(SETTLE)  # what the phase left the engine to do
        settled = max(self.servers["engine"].cpu_seconds() - before.engine - self.idle * SETTLE, after.engine - before.engine)
        phase_rows = "FROM stored_events WHERE notification_id > %s AND notification_id <= %s"
        window = (before.head, after.head)
        commits, events = self._pg.execute(f"SELECT count(DISTINCT xmin::text), count(*) {phase_rows}", window).fetchone()
        topics = dict(self._pg.execute(f"SELECT split_part(topic, ':', 2), count(*) {phase_rows} GROUP BY 1", window).fetchall())
        return Run(name, tally, elapsed, sending, before, after, int(commits), int(events), topics, settled)


def book_depth(url: str, token_id: str) -> str:
    """The book as the api's committed market holds it: levels, resting orders, crossed or not."""
    try:
        book = httpx.get(f"{url}{API}/orderbook/{token_id}", params={"depth": 500}, timeout=10).json()
    except (httpx.HTTPError, ValueError) as error:
        return f"book not read: {error}"
    bids, asks = book.get("bids", []), book.get("asks", [])
    crossed = bids and asks and float(bids[0]["price"]) >= float(asks[0]["price"])
    resting = sum(level["orders"] for level in bids + asks)
    return (
        f"{len(bids)} bid / {len(asks)} ask levels, {resting:,} resting orders, best bid "
        f"{bids[0]['price'] if bids else '-'} / ask {asks[0]['price'] if asks else '-'}"
        + (" CROSSED" if crossed else "")
    )


def log_levels(server: Server) -> tuple[Counter[str], list[str]]:
    """The engine's log by level, and its first few warnings or worse."""
    levels: Counter[str] = Counter()
    worst: list[str] = []
    for line in server.log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            levels["(not JSON)"] += 1
            continue
        level = str(record.get("level", "?"))
        levels[level] += 1
        if level in ("WARNING", "ERROR", "CRITICAL") and len(worst) < 5:
            worst.append(f"{level} {record.get('logger', '')}: {str(record.get('message', ''))[:200]}")
    return levels, worst


# ----- the engine's phases ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    market: Market
    runs: list[Run]
    notes: list[str]
    idle: float  # the engine's CPU seconds per second at rest


def run_engine(args: argparse.Namespace, cpus: tuple[int | None, int | None], tmp: Path, secret: str) -> Outcome:
    admin = Wallet.new(ED25519)
    prefix = f"peoplecoin-bench-{secrets.token_hex(4)}:"
    with database_for("postgres") as database_url:
        assert database_url is not None
        servers = {
            **topology_servers((("engine", "engine"),), tmp, admin, secret, database_url, prefix, cpus[0]),
            **topology_servers(
                (("projector", "projector"), ("api", "api")), tmp, admin, secret, database_url, prefix, EVERY_CPU
            ),
        }
        servers["engine"].env["PEOPLECOIN_COMMAND_TIMEOUT"] = ENGINE_COMMAND_TIMEOUT
        answers: Answers | None = None
        bench: Bench | None = None
        failed = True
        try:
            for server in servers.values():
                server.start()
            market = set_up(servers["api"].url, admin, args.users)
            servers["projector"].stop()  # the listing waits for its market view; the phases need no view
            print(
                f"  engine, projector and api up; {args.users} users signed in, token listed, deposits done in "
                f"{market.seconds:.1f}s; projector stopped",
                flush=True,
            )
            answers = Answers(prefix)
            bench = Bench(servers, database_url, prefix, answers)
            bench.measure_idle()
            flow = OrderFlow(market, user_ids(market, secret), args.seed)
            encoding = time.perf_counter()
            saturation = flow.entries(args.commands, answers.channel)
            fixed = flow.entries(int(args.rate * args.duration), answers.channel) if args.rate > 0 else []
            print(
                f"  {len(saturation) + len(fixed):,} commands built and encoded in {time.perf_counter() - encoding:.1f}s",
                flush=True,
            )
            runs = [bench.phase("saturation", saturation, None)]
            print(f"  engine saturation: {runs[0].rate():,.0f} commands/s", flush=True)
            notes = [f"book after saturation: {book_depth(servers['api'].url, market.token_id)}"]
            if fixed:
                runs.append(bench.phase(f"fixed {args.rate:,.0f}/s", fixed, args.rate))
                print(f"  engine fixed rate: {runs[1].rate():,.0f} commands/s", flush=True)
                notes.append(f"book after the fixed rate: {book_depth(servers['api'].url, market.token_id)}")
            levels, worst = log_levels(servers["engine"])
            notes.append("engine log lines by level: " + ", ".join(f"{k} {v:,}" for k, v in sorted(levels.items())))
            notes += [f"  {line}" for line in worst]
            failed = False
            return Outcome(market, runs, notes, bench.idle)
        finally:
            if answers is not None:
                answers.close()
            if bench is not None:
                bench.close()
            stop_all(servers, failed)
            with suppress(Exception):
                drop_redis_prefix(prefix)


# ----- printing -----------------------------------------------------------------------------------------------------


def per(value: float, count: float) -> str:
    return f"{value / count:,.2f}" if count else "-"


def print_engine(outcome: Outcome, args: argparse.Namespace) -> None:
    print()
    print(
        f"=== the engine alone (PostgreSQL, Redis): place-order commands straight into its stream, "
        f"{args.users} users, seed {args.seed}; every answer after its commit ==="
    )
    header = (
        f"{'phase':<15}{'sent':>8}{'answered':>9}{'refused':>8}{'wall s':>8}{'cmds/s':>8}{'engine':>8}{'µs/cmd':>8}"
        f"{'+after':>8}{'no core':>8}{'p50 ms':>9}{'p99 ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for run in outcome.runs:
        t = run.tally
        print(
            f"{run.name:<15}{t.expected:>8,}{t.answered:>9,}{sum(t.refused.values()):>8,}{run.elapsed:>8.2f}"
            f"{run.rate():>8,.0f}{run.share('engine'):>8}{us(run.per_command()):>8}{us(run.per_command(settled=True)):>8}"
            f"{run.share('engine_waited'):>8}"
            f"{ms(run.latency(0.5)):>9}{ms(run.latency(0.99)):>9}"
        )
    print(
        "  (wall: the first XADD, or slot, to the last answer; engine: its process's CPU over the wall time, % of a core;\n"
        f"   µs/cmd: that CPU per answered command; +after: with what it used in the {SETTLE:g}s after the last answer\n"
        f"   (what the phase left it to do), less its idle use ({100 * outcome.idle:.1f}% of a core); no core: its\n"
        "   main thread runnable with no core; latency: from the XADD at saturation, from the scheduled slot at the\n"
        "   fixed rate, to the answer arriving here)"
    )
    print()
    print("batches, per command answered unless said (Redis calls are server-wide):")
    print(
        f"  {'phase':<15}{'cmds/read':>10}{'cmds/commit':>12}{'events/commit':>14}{'commits':>8}{'cmds/xack':>10}"
        f"{'cmds/publish':>13}{'cmds/answer msg':>16}{'fills/order':>12}"
    )
    for run in outcome.runs:
        n = run.tally.answered
        reads, acks, publishes = run.calls("xreadgroup"), run.calls("xack"), run.calls("publish")
        fills = run.topics.get("TradeExecuted", 0)
        print(
            f"  {run.name:<15}{per(n, reads):>10}{per(n, run.commits):>12}{per(run.events, run.commits):>14}"
            f"{run.commits:>8,}{per(n, acks):>10}{per(n, publishes):>13}{per(n, run.tally.messages):>16}{per(fills, n):>12}"
        )
    print()
    print("beside the engine (% of a core), and what else each phase saw:")
    for run in outcome.runs:
        busy = core_busy(run.before.cores, run.after.cores)
        cores = ", ".join(f"{name} {100 * share:.0f}%" for name, share in sorted(busy.items()))
        print(
            f"  {run.name:<15}PG {run.share('postgres')}, Redis {run.share('redis')}, api (idle, following the log) "
            f"{run.share('api')}; cores busy: {cores}"
        )
        print(
            f"  {'':<15}XADDs took {run.sending:.2f}s; Redis calls: {run.calls('xadd'):,} XADD, "
            f"{run.calls('xreadgroup'):,} XREADGROUP, {run.calls('xack'):,} XACK, {run.calls('publish'):,} PUBLISH"
        )
        t = run.tally
        if t.refused:
            print(f"  {'':<15}refused by code: " + ", ".join(f"{code} {n:,}" for code, n in t.refused.most_common()))
        if t.answered < t.expected:
            print(f"  {'':<15}{t.expected - t.answered:,} commands NOT answered within {ANSWER_TIMEOUT:.0f}s")
        accepted = run.topics.get("OrderAccepted", 0)
        print(
            f"  {'':<15}event log: "
            + ", ".join(f"{topic} {n:,}" for topic, n in sorted(run.topics.items()))
            + f"; OrderAccepted {accepted:,} vs answered ok {t.ok:,} -> {'equal' if accepted == t.ok else 'DIFFERENT'}"
        )
    for note in outcome.notes:
        print(f"  {note}")
    print(
        "  (cmds/read: per XREADGROUP; cmds/commit and events/commit: per transaction that stored events, counted by\n"
        "   xmin; cmds/xack, cmds/publish: per call (PUBLISH: the answers and the engine's append nudges);\n"
        "   cmds/answer msg: answers per message on this reply channel; fills/order: TradeExecuted events per command)"
    )


def print_against(outcome: Outcome, reference: Target) -> None:
    engine, ref = outcome.runs[0], reference.saturation
    cpu = ratio(engine.per_command(settled=True), ref.per_command())
    print()
    print("=== the engine against the reference, same run (the reference under the usual HTTP load) ===")
    print(
        f"  reference: saturation {ref.phase.rate('place'):,.0f} orders/s ({ref.achieved():,.0f} cmds/s), "
        f"{us(ref.per_command())} µs/cmd; fixed rate {reference.fixed.achieved():,.0f} cmds/s, "
        f"{us(reference.fixed.per_command())} µs/cmd, p99 {ms(reference.fixed.latency('p99'))} ms"
    )
    print(
        f"  engine CPU/cmd at saturation {us(engine.per_command(settled=True))} / {us(ref.per_command())} µs = "
        f"{times(cpu)}x (target <= {TARGET_ENGINE_CPU:g}x): {verdict(cpu, TARGET_ENGINE_CPU, False)}; "
        f"to the last answer only {times(ratio(engine.per_command(), ref.per_command()))}x"
    )
    if len(outcome.runs) > 1:
        fixed = outcome.runs[1]
        at_rate = ratio(fixed.per_command(settled=True), reference.fixed.per_command())
        print(
            f"  at the fixed rate {us(fixed.per_command(settled=True))} / {us(reference.fixed.per_command())} µs "
            f"= {times(at_rate)}x"
        )
    print("  (engine CPU/cmd: with what it used after the last answer, the +after column)")
    print(
        f"  engine commands/s at saturation {engine.rate():,.0f} / reference orders/s {ref.phase.rate('place'):,.0f} "
        f"= {times(ratio(engine.rate(), ref.phase.rate('place')))}x"
    )


# ----- main ---------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=20_000, help="place-order commands of the saturation phase (20,000)")
    parser.add_argument("--users", type=int, default=64, help="signed-in traders the orders come from (64)")
    parser.add_argument(
        "--rate", type=float, default=float(TARGET_RATE), help="commands/s of the fixed-rate phase, 0 to skip it (1000)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of the fixed rate and of each reference phase (10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-reference", action="store_true", help="do not run the reference server afterwards")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the engine and this process to separate cores")
    return parser.parse_args(argv)


def reference_args(args: argparse.Namespace) -> argparse.Namespace:
    """``bench.scaleout``'s options for ``run_reference``: its defaults, with this run's."""
    rate = args.rate if args.rate > 0 else float(TARGET_RATE)
    return scaleout_args(
        ["--backend", "postgres", "--duration", str(args.duration), "--users", str(args.users), "--rate", str(rate),
         "--seed", str(args.seed)] + (["--no-pin"] if args.no_pin else [])
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.no_reference and not (REFERENCE_DIR / "reference_server.py").is_file():
        print(f"bench.engine_load: the reference server is missing: expected {REFERENCE_DIR / 'reference_server.py'}", file=sys.stderr)
        return 2
    cpus = choose_cpus(args.no_pin)
    print(
        f"engine_load: {args.commands:,} commands at saturation, "
        + (f"{args.rate:,.0f}/s for {args.duration:g}s" if args.rate > 0 else "no fixed rate")
        + f", {args.users} users; "
        + (f"engine on CPU {cpus[0]}, this process on CPU {cpus[1]}" if cpus[0] is not None else "no CPU pinning")
        + f"; {os.cpu_count()} cores",
        flush=True,
    )
    started = time.monotonic()
    secret = secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory(prefix="peoplecoin-engine-load-") as tmp_text:
        tmp = Path(tmp_text)
        print("\n[engine]", flush=True)
        outcome = run_engine(args, cpus, tmp, secret)
        print_engine(outcome, args)
        if not args.no_reference:
            print("\n[reference]", flush=True)
            reference = run_reference("postgres", outcome.market, reference_args(args), cpus, tmp, secret)
            print_against(outcome, reference)
    print(f"\n(total {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
