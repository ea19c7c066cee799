"""How fast the read side follows the log: every view, against the views there were before issue 10.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.projections [--orders N] [--backend sqlite|postgres|both]

It stores the seeded trading flow of ``bench.flow`` (deposits, orders, trades,
closes; see bench.recovery) with transfers and withdrawals mixed in, then
times ``ProjectionRunner.catch_up`` from an empty views database twice: with
the six views that existed before the portfolio issue (categories, users,
tokens, trading, market, creators) and with every view (those and portfolio,
analytics, depth, settlement). As the reference measured in the same run, the same
commands go through the bare matcher of bench.matching. It prints figures and
asserts only that both runs reached the head of the log.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import tempfile
import time
from pathlib import Path
from uuid import UUID

import psycopg

from adapters.eventstore.postgres import PostgresEventStore
from adapters.eventstore.recorder import RecorderEventStore
from adapters.eventstore.sqlite import SqliteEventStore
from adapters.views.analytics import SqlAnalyticsView
from adapters.views.categories import SqlCategoriesView
from adapters.views.creators import SqlCreatorsView
from adapters.views.database import ViewDatabase, sqlalchemy_url
from adapters.views.depth import SqlDepthView
from adapters.views.settlement import SqlSettlementView
from adapters.views.market import SqlMarketView
from adapters.views.portfolio import SqlPortfolioView
from adapters.views.trading import SqlTokensView, SqlTradingView
from adapters.views.users import SqlUsersView
from application.projections.analytics import AnalyticsProjector
from application.projections.categories import CategoriesProjector
from application.projections.creators import CreatorsProjector
from application.projections.depth import DepthProjector
from application.projections.market import MarketProjector
from application.projections.portfolio import PortfolioProjector
from application.projections.runner import ProjectionRunner, Projector
from application.projections.settlement import SettlementProjector
from application.projections.trading import TokensProjector, TradingProjector
from application.projections.users import UsersProjector
from bench.flow import generate
from bench.matching import T0, bare_ops, run_bare, user_uuid
from bench.recovery import POSTGRES, flow_events
from domain.account.ledger import Ledger
from domain.account.movements import Transfer, Withdrawal
from domain.shared.errors import DomainError
from domain.shared.money import USD

USERS = 50


def movements(ledger: Ledger, count: int, seed: int = 10) -> list[object]:
    """Transfers and withdrawals (requested, then completed or cancelled) between the flow's users."""
    rng = random.Random(seed)
    events: list[object] = []
    for n in range(count):
        sender, recipient = (user_uuid(u) for u in rng.sample(range(USERS), 2))
        try:
            if n % 2:
                transfer = Transfer(UUID(int=(1 << 100) + n), ledger)
                transfer.make(sender=sender, recipient=recipient, asset=USD, amount=rng.randrange(1, 10**9),
                              from_address="", to_address="", at=T0)
                events += transfer.collect_events()
            else:
                withdrawal = Withdrawal(UUID(int=(1 << 101) + n), ledger)
                withdrawal.request(owner=sender, asset=USD, amount=rng.randrange(1, 10**9), network_fee=100_000,
                                   to_address="0x" + "3" * 64, at=T0)
                withdrawal.complete("digest", T0) if rng.random() < 0.5 else withdrawal.cancel(T0)
                events += withdrawal.collect_events()
        except DomainError:
            pass
    return events


def projectors(db: ViewDatabase, store: RecorderEventStore, every: bool) -> list[Projector]:
    before: list[Projector] = [
        CategoriesProjector(SqlCategoriesView(db)),
        UsersProjector(SqlUsersView(db)),
        TokensProjector(SqlTokensView(db)),
        TradingProjector(SqlTradingView(db)),
        MarketProjector(SqlMarketView(db)),
        CreatorsProjector(SqlCreatorsView(db)),
    ]
    if not every:
        return before
    return [
        *before,
        PortfolioProjector(SqlPortfolioView(db)),
        AnalyticsProjector(SqlAnalyticsView(db)),
        DepthProjector(SqlDepthView(db), store),
        SettlementProjector(SqlSettlementView(db)),
    ]


async def catch_up(url: str, store: RecorderEventStore, every: bool) -> float:
    db = ViewDatabase(url)
    runner = ProjectionRunner(store, projectors(db, store, every), alert=False)
    await db.migrate(runner.names)
    started = time.perf_counter()
    await runner.catch_up()
    took = time.perf_counter() - started
    head = await store.head()
    assert all(s.position == head for s in await runner.status()), "a view did not reach the head"
    await db.close()
    return took


async def run(name: str, store: RecorderEventStore, events: list[object], urls: list[str], floor: float) -> None:
    for i in range(0, len(events), 5_000):
        await store.append(events[i : i + 5_000])  # type: ignore[arg-type]
    before = await catch_up(urls[0], store, every=False)
    after = await catch_up(urls[1], store, every=True)
    n = len(events)
    print(
        f"{name:<9}{n:>10,}{before:>10.2f}{n / before:>11,.0f}{after:>10.2f}{n / after:>11,.0f}"
        f"{before / after:>8.2f}{floor:>9.2f}{floor / after:>9.3f}"
    )
    await store.close()


async def main(orders: int, backends: list[str]) -> None:
    floor = run_bare(bare_ops(generate(orders, users=USERS))).ns / 1e9
    events, ledger = flow_events(orders, USERS)
    events += movements(ledger, max(orders // 20, 10))
    print(f"projections: {orders:,} commands and {max(orders // 20, 10):,} transfers/withdrawals -> {len(events):,} events")
    print(
        f"{'backend':<9}{'events':>10}{'6 views s':>10}{'events/s':>11}{'10 views s':>11}{'events/s':>11}"
        f"{'ratio':>8}{'bare s':>9}{'ratio':>9}"
    )
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                urls = [f"sqlite+aiosqlite:///{Path(folder) / f'views-{n}.sqlite3'}" for n in range(2)]
                await run(backend, SqliteEventStore(Path(folder) / "events.sqlite3"), events, urls, floor)
        else:
            names = ["bench_projections_" + secrets.token_hex(4) for _ in range(3)]
            with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
                for db_name in names:
                    admin.execute(f'CREATE DATABASE "{db_name}"')
            try:
                urls = [sqlalchemy_url(POSTGRES + db_name) for db_name in names[1:]]
                await run(backend, PostgresEventStore(POSTGRES + names[0]), events, urls, floor)
            finally:
                with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
                    for db_name in names:
                        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    print("ratio: 10 views' events/s over the 6 views'; bare: the same orders through the bare matcher, bare / 10 views")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=60_000, help="commands in the trading flow (~1.8 events each)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    asyncio.run(main(args.orders, ["sqlite", "postgres"] if args.backend == "both" else [args.backend]))
