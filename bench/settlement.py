"""What settlement costs: milliseconds per batch of 1,000 trades, and order entry with the settler running.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.settlement [--trades 1000] [--batches 5]

On the embedded default (SQLite event store, SQLite views, the local ledger in its SQLite file), it makes
``--trades`` trades per batch (one seller resting, buyers taking one lot each), brings the settlement and users
views up to date, then times one settler tick that opens, builds (leaves read from the view, RFC 6962 root, the
Sui transaction built with pysui's BCS and signed), submits, executes on the local ledger and confirms the batch,
with the parts timed separately. Then it times order entry (commands/s through the engine, durable, with the
projections following the log on the same event loop, as the server runs) without a settler and with one ticking
every 50 ms (200 times as often as the default 10 s) that waits for the views as the server's does.
The reference measured in the same run is the bare matcher of bench.matching on the same number of orders. It
prints figures and asserts only that every batch was confirmed with all its trades.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from adapters.chain.local import LocalLedgerChain
from adapters.eventstore.snapshots import RecorderSnapshots
from adapters.eventstore.sqlite import SqliteEventStore
from adapters.views.database import ViewDatabase
from adapters.views.settlement import SqlSettlementView
from adapters.views.users import SqlUsersView
from application.projections.runner import ProjectionRunner
from application.projections.settlement import SettlementProjector
from application.projections.users import UsersProjector
from application.settlement.settler import Settler
from entrypoints.container import views_caught_up
from application.trading.exchange import Exchange
from bench.flow import generate
from bench.matching import bare_ops, run_bare
from domain.identity.events import UserRegistered
from domain.orderbook.book import NewOrder
from domain.shared.money import USD
from domain.token.token import default_parameters

LOT = 10_000  # 0.01 of a 6-decimal token
PRICE = 1_000_000


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Timed:
    """Wraps an object's coroutine methods, adding each call's seconds to ``spent[name]``."""

    def __init__(self, inner: object, spent: dict[str, float], *names: str) -> None:
        self._inner, self._spent, self._names = inner, spent, names

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        found = getattr(self._inner, name)
        if name not in self._names:
            return found

        async def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return await found(*args, **kwargs)
            finally:
                self._spent[name] = self._spent.get(name, 0.0) + time.perf_counter() - start

        return timed


def user(n: int) -> UUID:
    return UUID(int=(7 << 120) + n)


async def setup(folder: Path, buyers: int) -> tuple[Exchange, SqliteEventStore, UUID]:
    store = SqliteEventStore(folder / "events.sqlite3")
    exchange = Exchange(store, RecorderSnapshots(store), WallClock())
    await exchange.start(await store.claim_writer())
    for n in range(buyers + 1):
        await store.append(
            [UserRegistered(originator_id=user(n), originator_version=1, at=WallClock().now(), wallet_address="0x" + f"{n:064x}")]
        )
    done = await exchange.list_token(
        symbol="BENCH", name="Bench coin", creator_id=user(0), creator_address="0x" + "0" * 64,
        total_supply=10**14, initial_price=PRICE, parameters=default_parameters(), owner_id=user(0),
    )
    token: UUID = done.value.token_id  # type: ignore[attr-defined]
    for n in range(1, buyers + 1):
        await exchange.deposit(user(n), USD, 10**13, f"bench-{n}")
    return exchange, store, token


async def trades(exchange: Exchange, token: UUID, count: int, start: int, buyers: int) -> float:
    """``count`` trades (a resting ask of one lot, then a buyer taking it, concurrently as clients would); seconds."""
    began = time.perf_counter()
    await asyncio.gather(
        *(
            exchange.place(token, NewOrder(UUID(int=(9 << 120) + 2 * (start + i)), user(0), "sell", "limit", price=PRICE, quantity=LOT))
            for i in range(count)
        )
    )
    await asyncio.gather(
        *(
            exchange.place(token, NewOrder(UUID(int=(9 << 120) + 2 * (start + i) + 1), user(1 + i % buyers), "buy", "limit", price=PRICE, quantity=LOT))
            for i in range(count)
        )
    )
    return time.perf_counter() - began


async def main(per_batch: int, batches: int) -> None:
    buyers = 50
    floor = run_bare(bare_ops(generate(2 * per_batch, users=buyers))).ns / 1e9
    with tempfile.TemporaryDirectory() as folder:
        exchange, store, token = await setup(Path(folder), buyers)
        chain = LocalLedgerChain(f"sqlite+aiosqlite:///{Path(folder) / 'local-chain.sqlite3'}")
        await chain.start()
        db = ViewDatabase(f"sqlite+aiosqlite:///{Path(folder) / 'views.sqlite3'}")
        await db.migrate(["settlement", "users"])
        view = SqlSettlementView(db)
        runner = ProjectionRunner(store, [SettlementProjector(view), UsersProjector(SqlUsersView(db))])
        spent: dict[str, float] = {}

        async def caught_up(position: int) -> bool:
            start = time.perf_counter()
            await runner.catch_up()
            spent["views"] = spent.get("views", 0.0) + time.perf_counter() - start
            return True

        settler = Settler(exchange, Timed(chain, spent, "prepare", "execute"), Timed(view, spent, "leaves"), caught_up)  # type: ignore[arg-type]
        ticks: list[float] = []
        made = 0
        for _ in range(batches):
            await trades(exchange, token, per_batch, made, buyers)
            made += per_batch
            await runner.catch_up()  # the projector's own work, not the settler's
            spent.clear()
            began = time.perf_counter()
            step = await settler.tick()
            ticks.append(time.perf_counter() - began)
            assert step is not None and step.status == "confirmed", step
            kept = await view.batch(step.sequence)
            assert kept is not None and kept.trade_count == per_batch, kept
        parts = {name: seconds * 1000 for name, seconds in spent.items()}

        # order entry as the server runs it (the projections following the log on the same loop), without and
        # then with a settler ticking every 50 ms that waits for the views as the server's does
        store.listen(runner.wake)
        following = asyncio.create_task(runner.run())
        alone = [2 * per_batch / await trades(exchange, token, per_batch, made + i * per_batch, buyers) for i in range(batches)]
        made += batches * per_batch
        served = Settler(exchange, chain, view, views_caught_up(runner))

        async def settle_often(stop: asyncio.Event) -> int:
            confirmed = 0
            while not stop.is_set():
                step = await served.tick()
                confirmed += step is not None and step.status == "confirmed"
                await asyncio.sleep(0.05)
            return confirmed

        stop = asyncio.Event()
        beside = asyncio.create_task(settle_often(stop))
        busy = [2 * per_batch / await trades(exchange, token, per_batch, made + i * per_batch, buyers) for i in range(batches)]
        stop.set()
        confirmed = await beside
        following.cancel()
        await chain.close()
        await db.close()
        await store.close()

    ms = [t * 1000 for t in ticks]
    print(f"settlement: {batches} batches of {per_batch:,} trades on the embedded default (SQLite, local ledger)")
    print(f"  settler tick (open, build, submit, execute, confirm): median {statistics.median(ms):.1f} ms, best {min(ms):.1f} ms per batch")
    print("  of the last tick: " + ", ".join(f"{name} {value:.1f} ms" for name, value in sorted(parts.items())))
    print(f"  order entry (durable, in-process, projections following): without a settler {statistics.median(alone):,.0f} orders/s, "
          f"with one every 50 ms {statistics.median(busy):,.0f} orders/s "
          f"(ratio {statistics.median(busy) / statistics.median(alone):.2f}; {confirmed} batches confirmed meanwhile: "
          "a batch is built once the views have read its opening, and at this rate they trail order entry)")
    print(f"  reference, same run: the bare matcher takes {floor * 1000:.1f} ms for {2 * per_batch:,} orders "
          f"({2 * per_batch / floor:,.0f} orders/s); settler tick / bare matcher = {statistics.median(ticks) / floor:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trades", type=int, default=1_000)
    parser.add_argument("--batches", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.trades, args.batches))
