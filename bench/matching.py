"""The in-process matching-core benchmark: the real OrderBook against a bare matcher, same flow.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.matching [--orders N] [--seed S]

It builds the seeded flow of ``bench.flow`` once, then runs it through
(a) ``bench.bare_matcher.BareMatcher`` (matching alone: price levels and
deques, nothing else) and (b) ``domain.orderbook.book.OrderBook`` with its
``Ledger`` (holds, fees, self-trade prevention, events recorded and
collected after every command, as the application would hand them on),
every user funded generously through a ``Deposit`` each beforehand.

All in one process: one warm-up run of each on the first 20 000 commands,
then ``--repeat`` throughput runs of each, interleaved, the best one kept
(no per-command clock in those), then one latency run of each with
``time.perf_counter_ns`` around every command (its ~50 ns of clock overhead
is in the percentiles, not in the throughput). Every run starts from a fresh
book. The commands are turned into engine inputs (``NewOrder``, UUIDs) before
any clock starts. The garbage collector stays on, as in the server, unless
``--no-gc``; its pauses during the latency runs are reported (the pre-built
inputs, ~3 objects per command, are part of what a full collection walks).

To profile the real engine alone::

    PYTHONPATH=src .venv/bin/python -m cProfile -s tottime -m bench.matching \
        --orders 50000 --engine real --repeat 1 --profile-labels

(``--profile-labels`` keeps pstats from folding every dataclass ``__init__``
into one ``<string>:2(__init__)`` line, which hides the events' cost.)

Numbers are per command, orders and cancels alike. Nothing here asserts a
time: it prints figures and the target line, nothing more.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from time import perf_counter_ns
from uuid import UUID

_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)

from bench.bare_matcher import BareMatcher  # noqa: E402
from bench.flow import DECIMALS, LOT, MIN_SIZE, SCALE, TICK, Command, generate, shares  # noqa: E402
from domain.account.ledger import Deposit, Ledger  # noqa: E402
from domain.orderbook.book import NewOrder, OrderBook  # noqa: E402
from domain.shared.errors import DomainError  # noqa: E402
from domain.shared.money import USD  # noqa: E402

MARKET_ID = UUID("b0000000-0000-4000-8000-00000000be0c")
FUND_USD = 10**15  # micro-USD per user: a billion dollars
FUND_TOKENS = 10**15  # base units per user: a billion tokens
WARMUP = 20_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)

BareOp = tuple[int, tuple]  # (0 limit | 1 market | 2 cancel, args)
RealOp = tuple[bool, object, object, datetime]  # (is_cancel, NewOrder | order id, user id, at)


def user_uuid(user: int) -> UUID:
    return UUID(int=(0xA << 124) | user)


def order_uuid(order_id: int) -> UUID:
    return UUID(int=(0xC << 124) | order_id)


# ----- inputs, built before any clock starts -----


def bare_ops(commands: Sequence[Command]) -> list[BareOp]:
    ops: list[BareOp] = []
    for c in commands:
        if c.kind == "cancel":
            ops.append((2, (c.order_id,)))
        elif c.type == "limit":
            ops.append((0, (c.order_id, c.user, c.side, c.time_in_force, c.price, c.quantity)))
        else:
            ops.append((1, (c.order_id, c.user, c.side, c.quantity, c.quote_amount)))
    return ops


def real_ops(commands: Sequence[Command]) -> list[RealOp]:
    users: dict[int, UUID] = {}
    ops: list[RealOp] = []
    for i, c in enumerate(commands):
        user = users.get(c.user) or users.setdefault(c.user, user_uuid(c.user))
        at = T0 + timedelta(microseconds=i)
        if c.kind == "cancel":
            ops.append((True, order_uuid(c.order_id), user, at))
        else:
            new = NewOrder(
                order_id=order_uuid(c.order_id),
                user_id=user,
                side=c.side,
                type=c.type,
                price=c.price,
                quantity=c.quantity,
                quote_amount=c.quote_amount,
                time_in_force=c.time_in_force,
            )
            ops.append((False, new, None, at))
    return ops


# ----- engines -----


def fresh_bare() -> BareMatcher:
    return BareMatcher(lot_size=LOT, scale=SCALE)


def fresh_book(users: int) -> OrderBook:
    ledger = Ledger()
    book = OrderBook(MARKET_ID, ledger)
    book.open("BENCH", DECIMALS, TICK, LOT, MIN_SIZE, T0)
    for u in range(users):
        for asset, amount in ((USD, FUND_USD), (book.asset, FUND_TOKENS)):
            reference = f"bench-{asset}-{u}"
            Deposit.of(reference, ledger).record(user_uuid(u), asset, amount, reference, T0)
    book.collect_events()
    return book


def kind_of(c: Command) -> str:
    if c.kind != "market":
        return c.kind
    return "mkt sell" if c.side == "sell" else ("mkt buy quote" if c.quote_amount else "mkt buy qty")


class Result:
    def __init__(self, name: str, n: int, ns: int) -> None:
        self.name, self.n, self.ns = name, n, ns
        self.latencies: list[int] = []
        self.by_kind: dict[str, list[int]] = {}  # sorted latencies per kind of command
        self.trades = self.volume = self.rejected = self.events = self.resting = 0
        self.gc_pauses: list[tuple[int, int]] = []  # (generation, ns) of each collection during a latency run
        self.spread: list[float] = []  # commands/s of every throughput run

    @property
    def per_second(self) -> float:
        return self.n * 1e9 / self.ns

    def pct(self, q: float) -> float:
        return _pct(self.latencies, q)


class GcClock:
    """Times the cyclic garbage collector's pauses while it is entered (gc.callbacks)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, int]] = []
        self._start = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = perf_counter_ns()
        else:
            self.pauses.append((info["generation"], perf_counter_ns() - self._start))

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def _finish_latencies(result: Result, lat: list[int], kinds: Sequence[str]) -> None:
    by_kind: dict[str, list[int]] = {}
    for kind, ns in zip(kinds, lat):
        by_kind.setdefault(kind, []).append(ns)
    for values in by_kind.values():
        values.sort()
    lat.sort()
    result.latencies, result.by_kind = lat, by_kind


def _pct(values: list[int], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] / 1000 if values else float("nan")


def run_bare(ops: Sequence[BareOp], latency: bool = False, kinds: Sequence[str] = ()) -> Result:
    m = fresh_bare()
    fns = (m.limit, m.market, m.cancel)
    gc.collect()
    if not latency:
        start = perf_counter_ns()
        for op, args in ops:
            fns[op](*args)
        result = Result("bare", len(ops), perf_counter_ns() - start)
    else:
        lat = [0] * len(ops)
        with GcClock() as gc_clock:
            start = perf_counter_ns()
            for i, (op, args) in enumerate(ops):
                t = perf_counter_ns()
                fns[op](*args)
                lat[i] = perf_counter_ns() - t
            result = Result("bare", len(ops), perf_counter_ns() - start)
        result.gc_pauses = gc_clock.pauses
        _finish_latencies(result, lat, kinds)
    result.trades, result.volume, result.resting = m.trades, m.volume, len(m.orders)
    return result


def run_real(ops: Sequence[RealOp], users: int, latency: bool = False, kinds: Sequence[str] = ()) -> Result:
    book = fresh_book(users)
    place, cancel, collect = book.place, book.cancel, book.collect_events
    trades = rejected = events = volume = 0
    gc.collect()
    if not latency:
        start = perf_counter_ns()
        for is_cancel, a, b, at in ops:
            try:
                if is_cancel:
                    cancel(a, b, at)
                else:
                    trades += len(place(a, at).fills)
            except DomainError:
                rejected += 1
            collect()
        result = Result("real", len(ops), perf_counter_ns() - start)
    else:
        lat = [0] * len(ops)
        with GcClock() as gc_clock:
            start = perf_counter_ns()
            for i, (is_cancel, a, b, at) in enumerate(ops):
                fills = ()
                t = perf_counter_ns()
                try:
                    if is_cancel:
                        cancel(a, b, at)
                    else:
                        fills = place(a, at).fills
                except DomainError:
                    rejected += 1
                n_events = len(collect())
                lat[i] = perf_counter_ns() - t
                events += n_events
                trades += len(fills)
                for f in fills:
                    volume += f.quantity
            result = Result("real", len(ops), perf_counter_ns() - start)
        result.gc_pauses = gc_clock.pauses
        _finish_latencies(result, lat, kinds)
        _check_conservation(book, users)
    result.trades, result.rejected, result.events, result.volume = trades, rejected, events, volume
    result.resting = len(book.open_orders)
    return result


def _check_conservation(book: OrderBook, users: int) -> None:
    totals = book.ledger.totals()
    expected = {USD: FUND_USD * users, book.asset: FUND_TOKENS * users}
    if totals != expected:
        raise SystemExit(f"conservation broken: {totals} != {expected}")


# ----- main -----


def label_dataclass_inits() -> None:
    """Rename the code of the generated ``__init__`` of the order book's dataclasses (events, Fill, Placement, NewOrder).

    cProfile keys its figures by (file, line, name), and every dataclass ``__init__`` is
    ``<string>:2(__init__)``: pstats keeps only one of them and silently drops the others'
    time. Only the code object's file name changes; behaviour does not.
    """
    import domain.orderbook.book as book_module
    import domain.orderbook.events as events_module

    for module in (events_module, book_module):
        for value in vars(module).values():
            init = getattr(value, "__init__", None)
            code = getattr(init, "__code__", None)
            if isinstance(value, type) and hasattr(value, "__dataclass_fields__") and code is not None and code.co_filename == "<string>":
                init.__code__ = code.replace(co_filename=f"<dataclass {value.__name__}>")


def best_of(runs: list[Result]) -> Result:
    return min(runs, key=lambda r: r.ns)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200_000, help="commands in the flow (default 200000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs per engine, best kept (default 3)")
    parser.add_argument("--engine", choices=("both", "bare", "real"), default="both", help="'real' alone is what to profile")
    parser.add_argument("--no-gc", action="store_true", help="switch the cyclic garbage collector off during the runs")
    parser.add_argument(
        "--profile-labels",
        action="store_true",
        help="give each dataclass-generated __init__ its own name, so that cProfile/pstats do not merge them all into one '<string>:2(__init__)' line",
    )
    args = parser.parse_args(argv)

    if args.profile_labels:
        label_dataclass_inits()
    commands = generate(args.orders, args.seed, args.users)
    mix = shares(commands)
    kinds = [kind_of(c) for c in commands]
    b_ops = bare_ops(commands) if args.engine != "real" else []
    r_ops = real_ops(commands) if args.engine != "bare" else []
    do_bare, do_real = args.engine != "real", args.engine != "bare"
    print(
        f"flow: {len(commands):,} commands, seed {args.seed}, {args.users} users; "
        + ", ".join(f"{k} {v:.1%}" for k, v in mix.items())
    )
    print(f"python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}, gc {'off' if args.no_gc else 'on'}")
    if args.no_gc:
        gc.disable()

    # warm-up (interpreter specialisation, allocator pools, imports)
    if do_bare:
        run_bare(b_ops[:WARMUP])
    if do_real:
        run_real(r_ops[:WARMUP], args.users)

    bare_runs: list[Result] = []
    real_runs: list[Result] = []
    for _ in range(max(1, args.repeat)):
        if do_bare:
            bare_runs.append(run_bare(b_ops))
        if do_real:
            real_runs.append(run_real(r_ops, args.users))
    results = []
    if do_bare:
        best, lat = best_of(bare_runs), run_bare(b_ops, latency=True, kinds=kinds)
        best.latencies, best.by_kind, best.volume, best.gc_pauses = lat.latencies, lat.by_kind, lat.volume, lat.gc_pauses
        best.spread = [r.per_second for r in bare_runs]
        results.append(best)
    if do_real:
        best, lat = best_of(real_runs), run_real(r_ops, args.users, latency=True, kinds=kinds)
        best.latencies, best.by_kind, best.volume, best.events = lat.latencies, lat.by_kind, lat.volume, lat.events
        best.gc_pauses, best.spread = lat.gc_pauses, [r.per_second for r in real_runs]
        if lat.trades != best.trades:
            raise SystemExit("the real engine made different trades in two runs of the same flow")
        results.append(best)
    _print_table(results)
    _print_kinds(results)
    if do_bare and do_real:
        _print_comparison(results[0], results[1])


def _print_table(results: list[Result]) -> None:
    head = f"{'engine':<7}{'commands/s':>12}{'total s':>9}{'p50 µs':>9}{'p99 µs':>9}{'p99.9 µs':>10}{'max µs':>9}{'trades':>9}{'volume (lots)':>15}{'resting':>9}"
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r.name:<7}{r.per_second:>12,.0f}{r.ns / 1e9:>9.2f}{r.pct(0.5):>9.1f}{r.pct(0.99):>9.1f}{r.pct(0.999):>10.1f}"
            f"{r.pct(1.0):>9.0f}{r.trades:>9,}{r.volume // LOT:>15,}{r.resting:>9,}"
        )
    print("commands/s: the best of the throughput runs; latencies: one more run with a clock around each command")
    print()
    for r in results:
        runs = ", ".join(f"{v:,.0f}" for v in r.spread)
        pauses = r.gc_pauses
        gen2 = [ns for g, ns in pauses if g == 2]
        print(
            f"{r.name}: throughput runs {runs} /s; gc during the latency run: {len(pauses)} collections, "
            f"{sum(ns for _, ns in pauses) / 1e6:.0f} ms in all ({sum(ns for _, ns in pauses) / r.ns:.0%} of it), "
            f"{len(gen2)} full ones, longest {max((ns for _, ns in pauses), default=0) / 1e6:.1f} ms"
        )
        if r.name == "real":
            print(f"real: {r.events:,} events ({r.events / r.n:.2f} per command), {r.rejected} commands refused; conservation holds")


def _print_kinds(results: list[Result]) -> None:
    print("\nper kind of command, p50 / p99 µs:")
    order = ("gtc", "ioc", "fok", "mkt buy qty", "mkt buy quote", "mkt sell", "cancel")
    print(f"  {'kind':<15}{'count':>8}" + "".join(f"{r.name + ' p50':>11}{r.name + ' p99':>11}" for r in results))
    for kind in order:
        rows = [r.by_kind.get(kind, []) for r in results]
        if not rows[0]:
            continue
        print(f"  {kind:<15}{len(rows[0]):>8,}" + "".join(f"{_pct(v, 0.5):>11.1f}{_pct(v, 0.99):>11.1f}" for v in rows))


def _print_comparison(bare: Result, real: Result) -> None:
    ratio = real.per_second / bare.per_second
    print(f"\nratio real/bare (throughput): {ratio:.3f}   (real costs {1 / ratio:.1f}x the bare matcher; p50 {real.pct(0.5) / bare.pct(0.5):.1f}x)")
    print(f"target: real >= 0.5 x bare   -> {'met' if ratio >= 0.5 else 'NOT met'}")
    if bare.trades == real.trades and bare.volume == real.volume and bare.resting == real.resting:
        print(f"trades: identical ({real.trades:,} each, same volume, same {real.resting:,} orders resting at the end)")
    else:
        print(
            f"trades: bare {bare.trades:,} vs real {real.trades:,}; volume {bare.volume // LOT:,} vs {real.volume // LOT:,} lots; "
            f"resting {bare.resting:,} vs {real.resting:,} — they should be equal: the flow or an engine diverged"
        )


if __name__ == "__main__":
    main()
