"""Scale-out: the reference server, ``peoplecoin serve`` and the multi-process topology, one load, one run.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.scaleout [--duration S] [--clients N] [--rate R]
        [--backend sqlite|postgres|both] [--users U] [--warmup S] [--no-pin]

For each backend (SQLite, PostgreSQL; default both) it drives, one after the
other, with the same load generator (``bench.http_loadgen``) and the same
spec (``http_load.load_spec``: the same clients, users, seeds and order mix):

1. ``peoplecoin serve`` (fresh data dir; a fresh PostgreSQL database), set up
   as ``bench.http_load`` sets it up (``set_up``: ``--users`` traders signed in
   with real wallets, one token listed, deposits);
2. the reference server (``../shared/bench/reference_server.py``, the floor of
   the durable order path: a bare book and group commit, nothing else),
   started with uvicorn from this venv as ``../shared/bench/README.md`` shows,
   on SQLite (``REFERENCE_STORE=sqlite``, a file in the run's temporary dir)
   or PostgreSQL (``pg``, in a fresh database of its own). It checks the
   HS256 signature and expiry of the bearer token only, so it is given the
   project's JWT secret and the load reuses the very tokens ``serve`` issued
   in step 1: the same users, byte for byte the same requests;
3. PostgreSQL only: the topology, every process a ``peoplecoin`` subcommand
   of its own on one database and one Redis prefix: ``engine``,
   ``projector`` and two ``api``; the set-up is done again through the first
   api (fresh database, as many users), and the load's clients alternate
   between the two api ports (``ports`` in the spec): half the clients and
   half the offered rate each.

``serve`` runs without Redis, as ``bench.http_load`` runs it. Each target
gets the phases of ``bench.http_load``: ``--warmup`` seconds closed loop (not
reported), saturation (``--clients`` in closed loop for ``--duration``
seconds: durable orders/s, p50/p99), the views given time to catch up, then
a fixed rate (``--rate`` commands/s open loop for ``--duration`` seconds:
achieved rate, p50/p99/p99.9 from each command's scheduled time). Every 2xx
is durable: both servers answer after the commit that holds the command.

CPU per acknowledged command (``µs/cmd``) is each server process's
utime+stime (``/proc/<pid>/stat``) over the phase divided by the 2xx
commands of the phase: the reference's one process, ``serve``'s one, and for
the topology each process (engine, api-1, api-2, projector) and their total.
PostgreSQL (the target's database and the shared background processes),
Redis and the load generator are shown beside them as % of a core, not
counted in it. Work a process leaves for after the phase (views behind)
is not in its figure: the views' lag when the phase ended is shown.

On two or more cores every server process (the topology's four too) is
pinned to the first core and the load generator and this process to the
second, as ``bench.http_load`` does, so each target has the same one core;
PostgreSQL and Redis are not pinned. ``--no-pin`` pins nothing.

Last, the ratios against the reference measured in the same run, next to the
scale-out issue's targets: throughput >= 0.40 of the reference, total CPU per
order <= 2x the reference's, the engine's CPU per order <= 0.25x the
reference's, p99 at the fixed rate within 2x the reference's. The CPU targets
are judged at saturation (the fixed rate's figures are beside them). Nothing
asserts a figure. A default run takes about three minutes.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_load import (  # noqa: E402
    BIN,
    CATCH_UP_TIMEOUT,
    REDIS_URL,
    TARGET_RATE,
    LagSampler,
    Market,
    Phase,
    Probe,
    Server,
    busy_seconds,
    choose_cpus,
    core_busy,
    core_times,
    database_for,
    drop_redis_prefix,
    load_spec,
    ms,
    postgres_cpu,
    process_cpu,
    run_loadgen,
    server_env,
    set_up,
    wait_for_views,
)
from tests.support.wallets import ED25519, Wallet  # noqa: E402

REFERENCE_DIR = ROOT.parent / "shared" / "bench"  # ../shared/bench from the repository root
AUTH_DOMAIN = "peoplecoin.bench"  # one sign-in domain for every process of a deployment
TARGET_THROUGHPUT = 0.40  # project orders/s over the reference's, at least
TARGET_CPU = 2.0  # project CPU per command over the reference's, at most
TARGET_ENGINE_CPU = 0.25  # the engine process's CPU per command over the reference's, at most
TARGET_P99 = 2.0  # project p99 at the fixed rate over the reference's, at most
TOPOLOGY = (("engine", "engine"), ("projector", "projector"), ("settler", "settler"), ("api-1", "api"), ("api-2", "api"))  # (label, role)


# ----- one phase, several server processes -------------------------------------------------------------------------


@dataclass
class Measured:
    """One phase against one target: ``phase.server_cpu`` is the sum of ``cpu``, the target's processes."""

    phase: Phase
    cpu: dict[str, float]  # CPU seconds over the phase, by process label
    redis_cpu: float
    paused: dict[str, tuple[float, ...]]  # by process with /metrics: (loop stalls, long collections, GC seconds)

    @property
    def commands(self) -> int:
        return self.phase.ok("place") + self.phase.ok("cancel")

    def per_command(self, process: str | None = None) -> float | None:
        """µs of CPU per acknowledged command: of one process, or of all the target's (None)."""
        used = self.phase.server_cpu if process is None else self.cpu[process]
        return 1e6 * used / self.commands if self.commands else None

    def achieved(self) -> float:
        return self.phase.rate("place") + self.phase.rate("cancel")

    def latency(self, q: str) -> float | None:
        value = self.phase.result["all_latency"][q]
        return None if value is None else float(value)


def redis_cpu() -> float:
    """User + system seconds of every ``redis-server`` on the machine (the topology's command bus; a Redis
    shared with other work counts theirs too)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with suppress(OSError):
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() == "redis-server":
                    total += process_cpu(int(entry))
    return total


STALL, LONG_GC = 0.05, 0.01  # a loop held this long, a collection this long: reported per phase


def pauses(server: Server) -> tuple[float, float, float] | None:
    """From the server's /metrics (None if it has none, as the reference): the loop's lateness over STALL and
    the collections over LONG_GC, counted so far, and the seconds spent collecting."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    try:
        answer = httpx.get(f"{server.url}/metrics", timeout=5)
    except httpx.HTTPError:
        return None
    if answer.status_code != 200:
        return None
    text = answer.text
    stalls = long_gc = gc_seconds = 0.0
    found = False
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "peoplecoin_event_loop_delay_seconds_bucket":
                found = True
                if sample.labels["le"] == "+Inf":
                    stalls += sample.value
                elif float(sample.labels["le"]) == STALL:
                    stalls -= sample.value
            elif sample.name == "peoplecoin_gc_pause_seconds_bucket":
                if sample.labels["le"] == "+Inf":
                    long_gc += sample.value
                elif float(sample.labels["le"]) == LONG_GC:
                    long_gc -= sample.value
            elif sample.name == "peoplecoin_gc_pause_seconds_sum":
                gc_seconds += sample.value
    return (stalls, long_gc, gc_seconds) if found else None


def measure(
    name: str,
    spec: dict[str, Any],
    servers: dict[str, Server],
    probe: Probe | None,
    load_cpu: int | None,
    database: str | None,
) -> Measured:
    """Run the load generator once with ``spec``; every server process's CPU, and the rest, over it."""
    cpu0 = {label: server.cpu_seconds() for label, server in servers.items()}
    paused0 = {label: pauses(server) for label, server in servers.items()}
    waited0 = sum(server.loop_waited() for server in servers.values())
    lines0 = sum(server.log_lines() for server in servers.values())
    pg0, redis0, cores0 = postgres_cpu(database), redis_cpu(), core_times()
    head0 = probe.head() if probe is not None else 0
    sampler = LagSampler(probe) if probe is not None else None
    with sampler or nullcontext():
        result = run_loadgen(spec, load_cpu)
    head1, lags = probe.lag() if probe is not None else (0, {})
    cores1 = core_times()
    cpu = {label: server.cpu_seconds() - cpu0[label] for label, server in servers.items()}
    paused = {}
    for label, server in servers.items():
        before, after = paused0[label], pauses(server)
        if before is not None and after is not None:
            paused[label] = tuple(a - b for a, b in zip(after, before, strict=True))
    server_used = sum(cpu.values())
    pg_used, redis_used = max(postgres_cpu(database) - pg0, 0.0), max(redis_cpu() - redis0, 0.0)
    phase = Phase(
        name=name,
        result=result,
        server_cpu=server_used,
        postgres_cpu=pg_used,
        cores=core_busy(cores0, cores1),
        others_cpu=max(busy_seconds(cores0, cores1) - server_used - pg_used - redis_used - result["loadgen_cpu"], 0.0),
        loop_waited=sum(server.loop_waited() for server in servers.values()) - waited0,
        events=head1 - head0,
        max_lag=max(sampler.max_lag if sampler else 0, max(lags.values(), default=0)),
        lag_at_end=max(lags.values(), default=0),
        log_lines=sum(server.log_lines() for server in servers.values()) - lines0,
    )
    return Measured(phase, cpu, redis_used, paused)


# ----- one target: warm-up, saturation, catch-up, fixed rate --------------------------------------------------------


@dataclass
class Target:
    label: str  # reference, serve, topology
    saturation: Measured
    fixed: Measured
    notes: list[str] = field(default_factory=list)


def drive(
    label: str,
    servers: dict[str, Server],
    probe: Probe | None,
    spec: dict[str, Any],
    args: argparse.Namespace,
    load_cpu: int | None,
    database: str | None,
) -> Target:
    """``bench.http_load``'s phases against one target, with its seeds: the same flow for every target."""
    placed = 0
    notes: list[str] = []
    if args.warmup > 0:
        warm = measure("warm-up", {**spec, "mode": "closed", "duration": args.warmup}, servers, None, load_cpu, database)
        placed += warm.phase.ok("place")
        if probe is not None:
            wait_for_views(probe, CATCH_UP_TIMEOUT)
    saturation = measure(
        "saturation",
        {**spec, "mode": "closed", "duration": args.duration, "seed": args.seed + 1},
        servers,
        probe,
        load_cpu,
        database,
    )
    placed += saturation.phase.ok("place")
    print(f"  {label} saturation: {saturation.phase.rate('place'):,.0f} orders/s", flush=True)
    if probe is not None:
        t, _, left = wait_for_views(probe, CATCH_UP_TIMEOUT)
        notes.append(
            f"views {saturation.phase.lag_at_end:,} events behind when saturation stopped, "
            + (f"caught up {t:.1f}s later" if not left else f"NOT caught up in {t:.0f}s ({left:,} behind)")
        )
    fixed = measure(
        f"fixed {args.rate:,.0f}/s",
        {**spec, "mode": "open", "duration": args.duration, "rate": args.rate, "seed": args.seed + 2},
        servers,
        probe,
        load_cpu,
        database,
    )
    placed += fixed.phase.ok("place")
    print(f"  {label} fixed rate: {fixed.achieved():,.0f} cmds/s achieved", flush=True)
    if probe is not None:
        accepted = probe.counts().get("OrderAccepted", 0)
        notes.append(
            f"event log: OrderAccepted {accepted:,} vs placements acknowledged {placed:,} (all phases) -> "
            + ("equal" if accepted == placed else "DIFFERENT")
        )
    for measured in (saturation, fixed):
        if measured.paused:
            held = ", ".join(
                f"{label} {stalls:,.0f} / {long_gc:,.0f} ({1000 * seconds:,.0f} ms)"
                for label, (stalls, long_gc, seconds) in measured.paused.items()
            )
            notes.append(
                f"{measured.phase.name}: loop held >= {1000 * STALL:.0f} ms / collections >= {1000 * LONG_GC:.0f} ms "
                f"(all collections' time): {held}"
            )
        by_port = measured.phase.result.get("acknowledged_by_port", {})
        if len(by_port) > 1:
            split = " / ".join(f":{port} {n:,}" for port, n in by_port.items())
            notes.append(f"{measured.phase.name}: 2xx by api port {split}")
    return Target(label, saturation, fixed, notes)


def project_env(home: Path, admin: Wallet, secret: str) -> dict[str, str]:
    """``http_load``'s server environment, with one JWT secret and sign-in domain for the whole run and
    access tokens good for an hour (the reference is fed the tokens ``serve`` issued)."""
    env = server_env(home / "data", admin)
    env.update(
        PEOPLECOIN_JWT_SECRET=secret,
        PEOPLECOIN_ACCESS_TOKEN_SECONDS="3600",
        PEOPLECOIN_AUTH_DOMAIN=AUTH_DOMAIN,
        PEOPLECOIN_AUTH_URI=f"http://{AUTH_DOMAIN}",
    )
    return env


def topology_servers(
    roles: tuple[tuple[str, str], ...],
    tmp: Path,
    admin: Wallet,
    secret: str,
    database_url: str,
    prefix: str,
    cpu: int | frozenset[int] | None,
) -> dict[str, Server]:
    """The processes of a deployment by label, not started: one environment but for each one's data dir, on
    PostgreSQL and Redis (under ``prefix``)."""
    servers: dict[str, Server] = {}
    for label, role in roles:
        home = tmp / label
        home.mkdir()
        env = project_env(home, admin, secret)
        env.update(PEOPLECOIN_DATABASE_URL=database_url, PEOPLECOIN_REDIS_URL=REDIS_URL, PEOPLECOIN_REDIS_PREFIX=prefix)
        servers[label] = Server(env, home / "server.log", cpu, [str(BIN / "peoplecoin"), role])
    return servers


def stop_all(servers: dict[str, Server], failed: bool) -> None:
    """Stop in reverse start order (the apis before the engine); with their log tails when the run failed."""
    for label, server in reversed(servers.items()):
        if failed:
            print(f"  {label} log tail:\n{server.log_tail()}", file=sys.stderr)
        server.stop()


def run_serve(
    backend: str, args: argparse.Namespace, cpus: tuple[int | None, int | None], tmp: Path, secret: str
) -> tuple[Target, Market]:
    server_cpu, load_cpu = cpus
    admin = Wallet.new(ED25519)
    home = tmp / "serve"
    home.mkdir()
    env = project_env(home, admin, secret)
    with database_for(backend) as database_url:
        if database_url:
            env["PEOPLECOIN_DATABASE_URL"] = database_url
        servers = {"serve": Server(env, home / "server.log", server_cpu, [str(BIN / "peoplecoin"), "serve"])}
        probe: Probe | None = None
        failed = True
        try:
            servers["serve"].start()
            market = set_up(servers["serve"].url, admin, args.users)
            print(f"  serve up; {args.users} users signed in, token listed, deposits done in {market.seconds:.1f}s", flush=True)
            probe = Probe(home / "data", database_url)
            spec = load_spec(market, servers["serve"].port, args.clients, args.seed)
            target = drive("serve", servers, probe, spec, args, load_cpu, probe.database)
            failed = False
            return target, market
        finally:
            stop_all(servers, failed)
            if probe is not None:
                probe.close()


def run_reference(
    backend: str,
    market: Market,
    args: argparse.Namespace,
    cpus: tuple[int | None, int | None],
    tmp: Path,
    secret: str,
) -> Target:
    server_cpu, load_cpu = cpus
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEOPLECOIN_", "REFERENCE_"))}
    env.update(REFERENCE_STORE="pg" if backend == "postgres" else "sqlite", REFERENCE_JWT_SECRET=secret)
    with database_for(backend) as database_url:
        if database_url:
            env["REFERENCE_PG_DSN"] = database_url
        else:
            env["REFERENCE_SQLITE_PATH"] = str(tmp / "reference.sqlite3")
        server = Server(env, tmp / "reference.log", server_cpu, [], health_path=None)
        server.command = [
            str(BIN / "uvicorn"), "reference_server:app", "--app-dir", str(REFERENCE_DIR),
            "--host", "127.0.0.1", "--port", str(server.port),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        servers = {"reference": server}
        failed = True
        try:
            server.start()
            print(f"  reference up ({env['REFERENCE_STORE']}); the load reuses serve's tokens", flush=True)
            spec = load_spec(market, server.port, args.clients, args.seed)
            database = database_url.rsplit("/", 1)[1] if database_url else None
            target = drive("reference", servers, None, spec, args, load_cpu, database)
            failed = False
            return target
        finally:
            stop_all(servers, failed)


def run_topology(args: argparse.Namespace, cpus: tuple[int | None, int | None], tmp: Path, secret: str) -> Target:
    server_cpu, load_cpu = cpus
    admin = Wallet.new(ED25519)
    prefix = f"peoplecoin-bench-{secrets.token_hex(4)}:"
    with database_for("postgres") as database_url:
        assert database_url is not None
        servers = topology_servers(TOPOLOGY, tmp, admin, secret, database_url, prefix, server_cpu)
        probe: Probe | None = None
        failed = True
        try:
            for server in servers.values():
                server.start()
            api = [servers["api-1"], servers["api-2"]]
            market = set_up(api[0].url, admin, args.users)
            print(
                f"  topology up (engine, projector, settler, 2 api); {args.users} users signed in, token listed, deposits "
                f"done in {market.seconds:.1f}s",
                flush=True,
            )
            probe = Probe(tmp, database_url)
            spec = {**load_spec(market, api[0].port, args.clients, args.seed), "ports": [s.port for s in api]}
            target = drive("topology", servers, probe, spec, args, load_cpu, probe.database)
            failed = False
            return target
        finally:
            stop_all(servers, failed)
            if probe is not None:
                probe.close()
            with suppress(Exception):
                drop_redis_prefix(prefix)


def run_backend(backend: str, args: argparse.Namespace, cpus: tuple[int | None, int | None]) -> list[Target]:
    secret = secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory(prefix=f"peoplecoin-scaleout-{backend}-") as tmp_text:
        tmp = Path(tmp_text)
        serve, market = run_serve(backend, args, cpus, tmp, secret)
        reference = run_reference(backend, market, args, cpus, tmp, secret)
        targets = [reference, serve]
        if backend == "postgres":
            targets.append(run_topology(args, cpus, tmp, secret))
        return targets


# ----- printing -----------------------------------------------------------------------------------------------------


def ratio(value: float | None, reference: float | None) -> float | None:
    return None if value is None or not reference else value / reference


def verdict(value: float | None, target: float, at_least: bool) -> str:
    """``met`` or ``MISSED`` against ``target`` (a floor when ``at_least``, else a ceiling)."""
    if value is None:
        return "no figure"
    return "met" if (value >= target if at_least else value <= target) else "MISSED"


def times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def us(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def print_backend(backend: str, targets: list[Target], args: argparse.Namespace) -> None:
    title = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[backend]
    print()
    print(
        f"=== {title}: one load for every target ({args.clients} clients over {args.users} users, seed {args.seed}); "
        "every 2xx is durable ==="
    )
    header = (
        f"{'target':<11}{'orders/s':>9}{'cmds/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'µs/cmd':>8}   |"
        f"{'cmds/s':>8}{'orders/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'p99.9 ms':>9}{'µs/cmd':>8}"
    )
    print(f"{'':<11}{'saturation (closed loop)':^41}   |{f'fixed {args.rate:,.0f}/s offered (open loop)':^50}")
    print(header)
    print("-" * len(header))
    for t in targets:
        s, f = t.saturation, t.fixed
        print(
            f"{t.label:<11}{s.phase.rate('place'):>9,.0f}{s.achieved():>8,.0f}{ms(s.latency('p50')):>8}"
            f"{ms(s.latency('p99')):>8}{us(s.per_command()):>8}   |{f.achieved():>8,.0f}{f.phase.rate('place'):>9,.0f}"
            f"{ms(f.latency('p50')):>8}{ms(f.latency('p99')):>8}{ms(f.latency('p99.9')):>9}{us(f.per_command()):>8}"
        )
    print(
        "  (orders/s: placements acknowledged; cmds/s: placements and cancels; latency of every 2xx, from the send in\n"
        "   closed loop and from the scheduled time in open loop; µs/cmd: CPU of the target's server processes per\n"
        "   acknowledged command)"
    )
    print()
    print("server CPU by process: µs per acknowledged command (% of a core), saturation | fixed rate")
    for t in targets:
        labels = [*t.saturation.cpu, "total"] if len(t.saturation.cpu) > 1 else list(t.saturation.cpu)
        for i, label in enumerate(labels):
            parts = []
            for m in (t.saturation, t.fixed):
                process = None if label == "total" else label
                used = m.phase.server_cpu if process is None else m.cpu[process]
                parts.append(f"{us(m.per_command(process)):>7} ({100 * used / m.phase.elapsed:>3.0f}%)")
            print(f"  {t.label if i == 0 else '':<11}{label:<11}{parts[0]} | {parts[1]}")
    print()
    print("beside the servers (% of a core, saturation | fixed rate), and what else each run saw:")
    for t in targets:
        parts = []
        for m in (t.saturation, t.fixed):
            p = m.phase
            parts.append(
                f"PG {100 * p.postgres_cpu / p.elapsed:.0f}%, Redis {100 * m.redis_cpu / p.elapsed:.0f}%, "
                f"load {100 * p.result['loadgen_cpu'] / p.elapsed:.0f}%, others {100 * p.others_cpu / p.elapsed:.0f}%, "
                f"no core {100 * p.loop_waited / p.elapsed:.0f}%"
            )
        print(f"  {t.label:<11}{parts[0]} | {parts[1]}")
        for m in (t.saturation, t.fixed):
            p = m.phase
            bad = p.non_2xx()
            errors = p.result["errors"]
            unsent = p.result.get("unsent", 0)
            if bad or errors or unsent:
                extra = f"non-2xx {bad}" if bad else ""
                extra += f"{'; ' if extra else ''}connection errors {errors}" if errors else ""
                extra += f"{'; ' if extra else ''}{unsent:,} scheduled commands unsent (backlog)" if unsent else ""
                print(f"  {'':<11}{p.name}: {extra}")
                for code, body in p.result["error_bodies"].items():
                    if code != "409":  # a cancel that lost the race with a fill: expected, counted above
                        print(f"  {'':<11}  first {code}: {body[:200]}")
        for note in t.notes:
            print(f"  {'':<11}{note}")
    print(
        "  (PG: PostgreSQL backends of the target's database and the shared background ones; Redis: every redis-server;\n"
        "   load: the load generator; others: every other process on the machine; no core: time the servers' main\n"
        "   threads were ready to run but had no core)"
    )


def print_ratios(results: dict[str, list[Target]], args: argparse.Namespace) -> None:
    print()
    print("=== against the reference, same run, same load (targets of the scale-out issue) ===")
    for backend, targets in results.items():
        by_label = {t.label: t for t in targets}
        ref = by_label["reference"]
        for t in targets:
            if t is ref:
                continue
            name = f"{backend} {t.label}"
            orders = ratio(t.saturation.phase.rate("place"), ref.saturation.phase.rate("place"))
            cpu = ratio(t.saturation.per_command(), ref.saturation.per_command())
            cpu_fixed = ratio(t.fixed.per_command(), ref.fixed.per_command())
            p99 = ratio(t.fixed.latency("p99"), ref.fixed.latency("p99"))
            print(
                f"  {name:<20}orders/s {t.saturation.phase.rate('place'):,.0f} / {ref.saturation.phase.rate('place'):,.0f} "
                f"= {times(orders)} (target >= {TARGET_THROUGHPUT:.2f}): {verdict(orders, TARGET_THROUGHPUT, True)}"
            )
            print(
                f"  {'':<20}CPU/cmd {us(t.saturation.per_command())} / {us(ref.saturation.per_command())} µs "
                f"= {times(cpu)}x (target <= {TARGET_CPU:g}x): {verdict(cpu, TARGET_CPU, False)}; "
                f"at the fixed rate {us(t.fixed.per_command())} / {us(ref.fixed.per_command())} µs = {times(cpu_fixed)}x"
            )
            if "engine" in t.saturation.cpu:
                engine = ratio(t.saturation.per_command("engine"), ref.saturation.per_command())
                engine_fixed = ratio(t.fixed.per_command("engine"), ref.fixed.per_command())
                print(
                    f"  {'':<20}engine CPU/cmd {us(t.saturation.per_command('engine'))} / {us(ref.saturation.per_command())} µs "
                    f"= {times(engine)}x (target <= {TARGET_ENGINE_CPU:g}x): {verdict(engine, TARGET_ENGINE_CPU, False)}; "
                    f"at the fixed rate {times(engine_fixed)}x"
                )
            behind = t.fixed.achieved() < 0.99 * args.rate
            print(
                f"  {'':<20}p99 at {args.rate:,.0f}/s {ms(t.fixed.latency('p99'))} / {ms(ref.fixed.latency('p99'))} ms "
                f"= {times(p99)}x (target <= {TARGET_P99:g}x): {verdict(p99, TARGET_P99, False)}"
                + (f"  [achieved only {t.fixed.achieved():,.0f}/s: behind the offered rate]" if behind else "")
            )
    if args.rate != TARGET_RATE:
        print(f"  (the p99 target is at {TARGET_RATE:,}/s; this run offered {args.rate:,.0f}/s)")


# ----- main ---------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each measured phase (10)")
    parser.add_argument("--clients", type=int, default=64, help="connections, one simulated client each (64)")
    parser.add_argument("--users", type=int, default=64, help="signed-in traders the clients are spread over (64)")
    parser.add_argument("--rate", type=float, default=float(TARGET_RATE), help="commands/s of the fixed-rate phase (1000)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unreported closed loop first (2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the servers and the load to separate cores")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (REFERENCE_DIR / "reference_server.py").is_file():
        print(
            f"bench.scaleout: the reference server is missing: expected {REFERENCE_DIR / 'reference_server.py'} "
            "(../shared/bench beside this repository)",
            file=sys.stderr,
        )
        return 2
    cpus = choose_cpus(args.no_pin)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(
        f"scaleout: {', '.join(backends)}; {args.duration:g}s per phase, {args.clients} clients, {args.users} users, "
        f"fixed rate {args.rate:,.0f}/s; "
        + (f"servers on CPU {cpus[0]}, load on CPU {cpus[1]}" if cpus[0] is not None else "no CPU pinning")
        + f"; {os.cpu_count()} cores",
        flush=True,
    )
    started = time.monotonic()
    results: dict[str, list[Target]] = {}
    for backend in backends:
        print(f"\n[{backend}]", flush=True)
        results[backend] = run_backend(backend, args, cpus)
        print_backend(backend, results[backend], args)
    print_ratios(results, args)
    print(f"\n(total {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
