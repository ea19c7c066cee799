"""The engine: commands acknowledged after group commit, rebuilt from snapshot and log, fenced, recovering."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import count
from uuid import UUID

import pytest

from adapters.eventstore.memory import InMemoryEventStore
from adapters.eventstore.snapshots import RecorderSnapshots
from application.live.market import CommittedMarket
from application.ports import Recorded
from application.trading.exchange import DepositSnapshot, EngineElsewhere, EngineRecovering, Exchange
from application.trading.group_commit import CommitFailed
from domain.orderbook.book import NewOrder
from domain.orderbook.errors import OrderNotFound, OrderNotOpen
from domain.shared.aggregate import DomainEvent
from domain.shared.money import USD
from domain.token.errors import SymbolTaken, TokenNotFound
from domain.token.token import default_parameters

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ALICE, BOB, CAROL = UUID(int=1), UUID(int=2), UUID(int=3)
TOKEN = 10**6


class Clock:
    def now(self) -> datetime:
        return T0


class Ids:
    def __init__(self, start: int = 1000) -> None:
        self._n = count(start)

    def __call__(self) -> UUID:
        return UUID(int=next(self._n))


class Store(InMemoryEventStore):
    """The in-memory store that can be told to fail appends or reads, and counts what the log reads return."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_appends = self.fail_reads = False
        self.events_read = 0

    async def append(self, events: Sequence[DomainEvent], fence: int | None = None) -> int:
        if self.fail_appends:
            raise OSError("disk full")
        return await super().append(events, fence)

    async def read_log(self, after: int, limit: int) -> list[Recorded]:
        if self.fail_reads:
            raise OSError("connection reset")
        batch = await super().read_log(after, limit)
        self.events_read += len(batch)
        return batch

    async def head(self) -> int:
        if self.fail_reads:
            raise OSError("connection reset")
        return await super().head()


class Closed:
    """ClosedOrders as the trading view answers it."""

    def __init__(self) -> None:
        self.statuses: dict[tuple[UUID, UUID], str] = {}

    async def status_of(self, user_id: UUID, order_id: UUID) -> str | None:
        return self.statuses.get((user_id, order_id))


async def engine(store: Store | None = None, closed: Closed | None = None) -> Exchange:
    store = store or Store()
    exchange = Exchange(store, RecorderSnapshots(store), Clock(), closed)
    await exchange.start(await store.claim_writer())
    return exchange


async def listed(exchange: Exchange, symbol: str = "ALICE") -> UUID:
    done = await exchange.list_token(
        symbol=symbol, name=f"{symbol} coin", creator_id=ALICE, creator_address="0x" + "a" * 64,
        total_supply=1_000 * TOKEN, initial_price=0, parameters=default_parameters(),
    )
    return done.value.token_id  # type: ignore[attr-defined,no-any-return]


def order(ids: Ids, user: UUID, side: str, price: int, quantity: int, **extra: object) -> NewOrder:
    return NewOrder(ids(), user, side, "limit", price=price, quantity=quantity, **extra)  # type: ignore[arg-type]


def state(exchange: Exchange) -> tuple[object, ...]:
    return exchange.state.snapshot(), exchange.position


async def busy(exchange: Exchange, ids: Ids) -> UUID:
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10_000 * 10**6, "d1")
    await exchange.deposit(CAROL, USD, 10_000 * 10**6, "d2")
    await exchange.place(token, order(ids, ALICE, "sell", 1_000_000, 50 * TOKEN))
    await exchange.place(token, order(ids, ALICE, "sell", 1_100_000, 50 * TOKEN))
    await exchange.place(token, order(ids, BOB, "buy", 1_050_000, 70 * TOKEN))
    await exchange.place(token, order(ids, CAROL, "buy", 900_000, 10 * TOKEN))
    await exchange.cancel_all(CAROL, token)
    await exchange.place(token, NewOrder(ids(), CAROL, "buy", "market", quote_amount=5 * 10**6))
    return token


async def test_an_engine_started_on_a_log_equals_the_one_that_wrote_it() -> None:
    store, ids = Store(), Ids()
    live = await engine(store)
    token = await busy(live, ids)

    rebuilt = await engine(store)

    assert state(rebuilt) == state(live)
    assert rebuilt.position == await store.head()
    assert rebuilt.state.ledger.totals() == {USD: 20_000 * 10**6, str(token): 1_000 * TOKEN}


async def test_an_engine_starts_from_the_newest_snapshot_and_reads_only_the_log_after_it() -> None:
    store, ids = Store(), Ids()
    live = await engine(store)
    token = await busy(live, ids)
    market = CommittedMarket()
    market.advance([(r.position, r.event) for r in await store.read_log(0, 10_000)], complete=True)
    await RecorderSnapshots(store).save(market.snapshot())
    await live.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))  # after the snapshot
    store.events_read = 0

    rebuilt = await engine(store)

    assert store.events_read == await store.head() - market.position
    assert state(rebuilt) == state(live)


async def test_concurrent_commands_share_commits_and_each_gets_its_own_position() -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10**12, "d")
    done = await asyncio.gather(*(exchange.place(token, order(ids, BOB, "buy", 100 + 100 * i, TOKEN)) for i in range(50)))
    positions = [d.position for d in done]
    assert positions == sorted(positions) and len(set(positions)) == 50
    assert positions[-1] == await store.head()
    assert exchange._commit.batches < 50  # grouped: fewer transactions than commands


async def test_a_failed_commit_refuses_the_command_pauses_trading_and_recovers_from_the_snapshot_without_it() -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10**9, "d")
    market = CommittedMarket()
    market.advance([(r.position, r.event) for r in await store.read_log(0, 10_000)], complete=True)
    await RecorderSnapshots(store).save(market.snapshot())
    before = state(exchange)
    store.fail_appends = True
    with pytest.raises(CommitFailed):
        await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    with pytest.raises(EngineRecovering) as recovering:
        await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    assert recovering.value.code == "engine_recovering"
    store.fail_appends = False
    store.events_read = 0
    await exchange._recovering  # type: ignore[misc]

    assert store.events_read == 0, "recovered from the snapshot: nothing after it to read"
    assert state(exchange) == before
    done = await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    assert done.position == await store.head()


async def test_recovery_waits_out_a_store_that_cannot_be_read_and_then_resumes() -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10**9, "d")
    store.fail_appends = store.fail_reads = True
    with pytest.raises(CommitFailed):
        await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    await asyncio.sleep(0.5)  # a few failed attempts to rebuild
    with pytest.raises(EngineRecovering):
        await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    store.fail_appends = store.fail_reads = False
    await asyncio.wait_for(exchange._recovering, 5)  # type: ignore[arg-type]
    assert (await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))).position == await store.head()


async def test_waiting_for_what_is_settled_touches_no_store_when_nothing_is_waiting() -> None:
    store = Store()
    exchange = await engine(store)
    await listed(exchange)
    store.fail_reads = store.fail_appends = True

    assert await exchange.settled() == exchange.position


async def test_an_engine_that_lost_the_writer_fence_stores_nothing_and_stands_down() -> None:
    store, ids = Store(), Ids()
    first = await engine(store)
    token = await listed(first)
    await first.deposit(BOB, USD, 10**9, "d")
    head = await store.head()
    second = await engine(store)  # claims a newer fence, as a standby that took the lease would

    with pytest.raises(CommitFailed):
        await first.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    with pytest.raises(EngineElsewhere):
        await first.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))

    assert await store.head() == head, "the fenced engine's batch was refused"
    assert (await second.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))).position == head + 1


async def test_a_store_listener_that_raises_does_not_fail_the_command_it_heard() -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)

    def broken(head: int) -> None:
        raise RuntimeError("a listener with a bug")

    store.listen(broken)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10**9, "d")
    done = await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    assert done.position == await store.head()


async def test_a_deposit_reference_credits_once_even_when_repeated_at_once_or_after_a_restart() -> None:
    store = Store()
    exchange = await engine(store)
    first, same_time = await asyncio.gather(
        exchange.deposit(BOB, USD, 5 * 10**6, "chain:abc:0"), exchange.deposit(BOB, USD, 5 * 10**6, "chain:abc:0")
    )
    later = await (await engine(store)).deposit(BOB, USD, 7 * 10**6, "chain:abc:0")

    answers: list[DepositSnapshot] = [first.value, same_time.value, later.value]  # type: ignore[list-item]
    assert [a.repeated for a in answers] == [False, True, True]
    assert {a.deposit for a in answers} == {answers[0].deposit}, "every repeat answers with the first deposit"
    rebuilt = await engine(store)
    assert rebuilt.state.ledger.available(BOB, USD) == 5 * 10**6


async def test_a_client_order_id_is_unique_per_user_among_open_orders_across_markets() -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    alice, carol = await listed(exchange, "ALICE"), await listed(exchange, "CAROL")
    await exchange.deposit(BOB, USD, 10**9, "d")
    first = await exchange.place(alice, order(ids, BOB, "buy", 1_000_000, TOKEN, client_order_id="k"))
    head = await store.head()

    again = await exchange.place(carol, order(ids, BOB, "buy", 2_000_000, TOKEN, client_order_id="k"))

    assert again.value.repeated and again.value.order == first.value.order  # type: ignore[attr-defined]
    assert again.value.order.token_id == alice  # type: ignore[attr-defined]
    assert await store.head() == head


async def test_cancelling_a_closed_order_is_order_not_open_and_an_unknown_one_order_not_found() -> None:
    store, ids, closed = Store(), Ids(), Closed()
    exchange = await engine(store, closed)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10**9, "d")
    placed = await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    order_id = placed.value.order.id  # type: ignore[attr-defined]
    await exchange.cancel(BOB, order_id)
    closed.statuses[(BOB, order_id)] = "cancelled"

    with pytest.raises(OrderNotOpen):
        await exchange.cancel(BOB, order_id)
    with pytest.raises(OrderNotFound):
        await exchange.cancel(CAROL, order_id)
    with pytest.raises(OrderNotFound):
        await exchange.cancel(BOB, UUID(int=0xDEAD))


async def test_an_order_the_view_still_shows_open_but_the_engine_has_closed_is_order_not_open() -> None:
    store, ids, closed = Store(), Ids(), Closed()
    exchange = await engine(store, closed)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10**9, "d")
    placed = await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    order_id = placed.value.order.id  # type: ignore[attr-defined]
    await exchange.cancel(BOB, order_id)
    closed.statuses[(BOB, order_id)] = "open"  # the view is behind the engine

    with pytest.raises(OrderNotOpen, match="cancelled already"):  # the engine remembers its recently closed orders
        await exchange.cancel(BOB, order_id)
    exchange.state.open_orders.closed.clear()  # one closed long ago: only the view can say
    with pytest.raises(OrderNotOpen, match="no longer open"):
        await exchange.cancel(BOB, order_id)


async def test_a_symbol_is_listed_once_and_unknown_tokens_are_refused() -> None:
    exchange = await engine()
    token = await listed(exchange)
    with pytest.raises(SymbolTaken):
        await listed(exchange, "alice")
    with pytest.raises(TokenNotFound):
        await exchange.deposit(BOB, str(UUID(int=99)), 1, "d")
    with pytest.raises(TokenNotFound):
        await exchange.deposit(BOB, "not a token", 1, "d2")
    assert exchange.state.token("ALICE").token_id == exchange.state.token(str(token)).token_id == token
    with pytest.raises(TokenNotFound):
        exchange.state.token("NOPE")


async def test_an_engine_that_was_never_started_refuses_commands_as_elsewhere() -> None:
    store = Store()
    exchange = Exchange(store, RecorderSnapshots(store), Clock())
    with pytest.raises(EngineElsewhere):
        await exchange.deposit(BOB, USD, 1, "d")
