"""How long the engine takes to rebuild every book and balance from the log at start-up.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.recovery [--orders N] [--backend sqlite|postgres|both]

It runs the seeded flow of ``bench.flow`` through a real OrderBook, stores
every event (deposits, market opening, orders, trades, closes) in a fresh
event store, then times ``Exchange.recover()`` reading it all back: the
figure that decides whether snapshots are needed yet. It prints figures and
asserts nothing but that the rebuilt balances equal the live ones.
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
from adapters.eventstore.sqlite import SqliteEventStore
from adapters.system import SystemClock, random_id
from application.trading.exchange import Exchange
from bench.flow import DECIMALS, LOT, MIN_SIZE, TICK, generate
from bench.matching import FUND_TOKENS, FUND_USD, MARKET_ID, T0, real_ops, user_uuid
from domain.account.ledger import Accounts, Ledger
from domain.orderbook.book import OrderBook
from domain.shared.errors import DomainError
from domain.shared.money import USD

POSTGRES = "postgresql://postgres@127.0.0.1:5432/"


def flow_events(orders: int, users: int = 50) -> tuple[list[object], Ledger]:
    ledger = Ledger()
    accounts = Accounts(ledger=ledger)
    book = OrderBook(MARKET_ID, ledger)
    book.open("BENCH", DECIMALS, TICK, LOT, MIN_SIZE, T0)
    for u in range(users):
        accounts.deposit(user_uuid(u), USD, FUND_USD, f"usd-{u}", T0)
        accounts.deposit(user_uuid(u), book.asset, FUND_TOKENS, f"token-{u}", T0)
    events: list[object] = [*book.collect_events(), *accounts.collect_events()]
    for is_cancel, what, user, at in real_ops(generate(orders, users=users)):
        try:
            book.cancel(what, user, at) if is_cancel else book.place(what, at)  # type: ignore[arg-type]
        except DomainError:
            pass
        events += book.collect_events()
    return events, ledger


async def measure(store: RecorderEventStore, events: list[object], live: Ledger, name: str) -> None:
    started = time.perf_counter()
    for i in range(0, len(events), 5_000):
        await store.append(events[i : i + 5_000])  # type: ignore[arg-type]
    stored = time.perf_counter() - started
    exchange = Exchange(store, SystemClock(), random_id)
    started = time.perf_counter()
    await exchange.recover()
    took = time.perf_counter() - started
    assert sorted(exchange.ledger.entries()) == sorted(live.entries()), "the rebuilt balances differ"
    print(f"{name:<9}{len(events):>10,}{stored:>12.1f}{took:>12.2f}{len(events) / took:>14,.0f}")
    await store.close()


async def main(orders: int, backends: list[str]) -> None:
    events, live = flow_events(orders)
    print(f"recovery: {orders:,} commands -> {len(events):,} events")
    print(f"{'backend':<9}{'events':>10}{'store s':>12}{'recover s':>12}{'events/s':>14}")
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                await measure(SqliteEventStore(Path(folder) / "events.sqlite3"), events, live, backend)
        else:
            name = "bench_recovery_" + secrets.token_hex(4)
            with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                await measure(PostgresEventStore(POSTGRES + name), events, live, backend)
            finally:
                with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    asyncio.run(main(args.orders, ["sqlite", "postgres"] if args.backend == "both" else [args.backend]))
