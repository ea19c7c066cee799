"""How long the engine takes to come back: from the newest snapshot and the log after it, against from 0.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.recovery [--orders N] [--backend sqlite|postgres|both] [--tail N]

It runs the seeded flow of ``bench.flow`` through a real OrderBook, stores
every event (deposits, market opening, orders, trades, closes) in a fresh
event store, then times the engine's start (``Exchange.start``) twice: with
no snapshot (the whole log replayed) and with a snapshot of the committed
market taken ``--tail`` events before the head (what a restart finds when the
last snapshot is half an interval old, at the default interval of 50,000).
As the floor, the same commands run once more through the bare matcher of
bench.matching (a book and nothing else: no events to read or decode, no
balances). It prints figures and asserts only that every start rebuilt the
same balances.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from pathlib import Path

import psycopg

from adapters.eventstore.postgres import PostgresEventStore
from adapters.eventstore.recorder import RecorderEventStore
from adapters.eventstore.snapshots import RecorderSnapshots, encode_snapshot
from adapters.eventstore.sqlite import SqliteEventStore
from adapters.system import SystemClock
from application.live.market import CommittedMarket
from application.trading.exchange import Exchange
from bench.flow import DECIMALS, LOT, MIN_SIZE, TICK, generate
from bench.matching import FUND_TOKENS, FUND_USD, MARKET_ID, T0, bare_ops, real_ops, run_bare, user_uuid
from domain.account.ledger import Deposit, Ledger
from domain.orderbook.book import OrderBook
from domain.shared.errors import DomainError
from domain.shared.money import USD

POSTGRES = "postgresql://postgres@127.0.0.1:5432/"


def flow_events(orders: int, users: int = 50) -> tuple[list[object], Ledger]:
    ledger = Ledger()
    book = OrderBook(MARKET_ID, ledger)
    book.open("BENCH", DECIMALS, TICK, LOT, MIN_SIZE, T0)
    events: list[object] = [*book.collect_events()]
    for u in range(users):
        for asset, amount in ((USD, FUND_USD), (book.asset, FUND_TOKENS)):
            deposit = Deposit.of(f"{asset}-{u}", ledger)
            deposit.record(user_uuid(u), asset, amount, f"{asset}-{u}", T0)
            events += deposit.collect_events()
    for is_cancel, what, user, at in real_ops(generate(orders, users=users)):
        try:
            book.cancel(what, user, at) if is_cancel else book.place(what, at)  # type: ignore[arg-type]
        except DomainError:
            pass
        events += book.collect_events()
    return events, ledger


async def timed_start(store: RecorderEventStore, live: Ledger) -> float:
    exchange = Exchange(store, RecorderSnapshots(store), SystemClock())
    started = time.perf_counter()
    await exchange.start(await store.claim_writer())
    took = time.perf_counter() - started
    assert sorted(exchange.state.ledger.entries()) == sorted(live.entries()), "the rebuilt balances differ"
    return took


async def measure(store: RecorderEventStore, events: list[object], live: Ledger, tail: int, name: str, floor: float) -> None:
    for i in range(0, len(events), 5_000):
        await store.append(events[i : i + 5_000])  # type: ignore[arg-type]
    from_zero = await timed_start(store, live)

    market = CommittedMarket()  # the snapshot a follower would have written `tail` events before the head
    cut = max(len(events) - tail, 0)
    while market.position < cut:
        before = market.position
        batch = await store.read_log(market.position, 2_000)
        market.advance([(r.position, r.event) for r in batch], complete=False)
        if market.position == before:
            break
    snapshot = market.snapshot()
    size = len(encode_snapshot(snapshot))
    await RecorderSnapshots(store).save(snapshot)
    from_snapshot = await timed_start(store, live)
    print(
        f"{name:<9}{len(events):>11,}{from_zero:>10.2f}{len(events) / from_zero:>12,.0f}"
        f"{len(events) - market.position:>10,}{size / 2**20:>9.1f}{from_snapshot:>10.2f}"
        f"{from_snapshot / from_zero:>9.3f}{floor:>9.2f}{floor / from_zero:>9.3f}"
    )
    await store.close()


async def main(orders: int, backends: list[str], tail: int) -> None:
    commands = generate(orders, users=50)
    floor = run_bare(bare_ops(commands)).ns / 1e9
    events, live = flow_events(orders)
    print(f"recovery: {orders:,} commands -> {len(events):,} events; snapshot taken {tail:,} events before the head")
    print(
        f"{'backend':<9}{'events':>11}{'from 0 s':>10}{'events/s':>12}{'tail':>10}{'snap MB':>9}"
        f"{'snap s':>10}{'ratio':>9}{'bare s':>9}{'ratio':>9}"
    )
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                await measure(SqliteEventStore(Path(folder) / "events.sqlite3"), events, live, tail, backend, floor)
        else:
            name = "bench_recovery_" + secrets.token_hex(4)
            with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                await measure(PostgresEventStore(POSTGRES + name), events, live, tail, backend, floor)
            finally:
                with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("ratio: from the snapshot / from 0; bare: the same commands through the bare matcher (no log, no balances),"
          " bare / from 0")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=550_000, help="commands in the flow (~1.8 events each)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--tail", type=int, default=25_000, help="events between the snapshot and the head")
    args = parser.parse_args()
    asyncio.run(main(args.orders, ["sqlite", "postgres"] if args.backend == "both" else [args.backend], args.tail))
