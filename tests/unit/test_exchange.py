"""The exchange: commands acknowledged after group commit, rebuilt from the log, halted by a failed commit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import count
from uuid import UUID

import pytest

from adapters.eventstore.memory import InMemoryEventStore
from application.trading.exchange import Exchange, ExchangeHalted
from application.trading.group_commit import CommitFailed
from domain.orderbook.book import NewOrder
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


async def listed(exchange: Exchange, symbol: str = "ALICE") -> UUID:
    done = await exchange.list_token(
        symbol=symbol, name=f"{symbol} coin", creator_id=ALICE, creator_address="0x" + "a" * 64,
        total_supply=1_000 * TOKEN, initial_price=0, parameters=default_parameters(),
    )
    return done.value.token_id  # type: ignore[attr-defined,no-any-return]


def order(ids: Ids, user: UUID, side: str, price: int, quantity: int, **extra: object) -> NewOrder:
    return NewOrder(ids(), user, side, "limit", price=price, quantity=quantity, **extra)  # type: ignore[arg-type]


def state(exchange: Exchange) -> tuple[object, ...]:
    books = {
        token: (book.depth("buy", 100), book.depth("sell", 100), sorted((str(o.id), o.remaining, o.hold) for o in book.orders.values()))
        for token, book in exchange.books.items()
    }
    return sorted(exchange.ledger.entries()), books, sorted(exchange.tokens)


async def test_a_rebuilt_exchange_equals_the_live_one() -> None:
    store, ids = InMemoryEventStore(), Ids()
    live = Exchange(store, Clock(), ids)
    token = await listed(live)
    await live.deposit(BOB, USD, 10_000 * 10**6, "d1")
    await live.deposit(CAROL, USD, 10_000 * 10**6, "d2")
    await live.place(token, order(ids, ALICE, "sell", 1_000_000, 50 * TOKEN))
    await live.place(token, order(ids, ALICE, "sell", 1_100_000, 50 * TOKEN))
    await live.place(token, order(ids, BOB, "buy", 1_050_000, 70 * TOKEN))
    await live.place(token, order(ids, CAROL, "buy", 900_000, 10 * TOKEN))
    await live.cancel_all(CAROL, token)
    await live.place(token, NewOrder(ids(), CAROL, "buy", "market", quote_amount=5 * 10**6))
    rebuilt = Exchange(store, Clock(), Ids())
    await rebuilt.recover()
    assert state(rebuilt) == state(live)
    assert rebuilt.position == await store.head()
    assert rebuilt.ledger.totals() == {USD: 20_000 * 10**6, str(token): 1_000 * TOKEN}


async def test_concurrent_commands_share_commits_and_each_gets_its_own_position() -> None:
    store, ids = InMemoryEventStore(), Ids()
    exchange = Exchange(store, Clock(), ids)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10**12, "d")
    done = await asyncio.gather(*(exchange.place(token, order(ids, BOB, "buy", 100 + 100 * i, TOKEN)) for i in range(50)))
    positions = [d.position for d in done]
    assert positions == sorted(positions) and len(set(positions)) == 50
    assert positions[-1] == await store.head()
    assert exchange._commit.batches < 50  # grouped: fewer transactions than commands


class FailingStore(InMemoryEventStore):
    def __init__(self) -> None:
        super().__init__()
        self.fail = False

    async def append(self, events: Sequence[DomainEvent]) -> int:
        if self.fail:
            raise OSError("disk full")
        return await super().append(events)


async def test_a_failed_commit_refuses_the_command_halts_trading_and_rebuilds_without_it() -> None:
    store, ids = FailingStore(), Ids()
    exchange = Exchange(store, Clock(), ids)
    token = await listed(exchange)
    await exchange.deposit(BOB, USD, 10**9, "d")
    before = state(exchange)
    store.fail = True
    with pytest.raises(CommitFailed):
        await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    with pytest.raises(ExchangeHalted):
        await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    store.fail = False
    await exchange._recovering  # type: ignore[misc]
    assert state(exchange) == before
    done = await exchange.place(token, order(ids, BOB, "buy", 1_000_000, TOKEN))
    assert done.position == await store.head()


async def test_a_symbol_is_listed_once_and_unknown_tokens_are_refused() -> None:
    exchange = Exchange(InMemoryEventStore(), Clock(), Ids())
    token = await listed(exchange)
    with pytest.raises(SymbolTaken):
        await listed(exchange, "alice")
    with pytest.raises(TokenNotFound):
        await exchange.deposit(BOB, str(UUID(int=99)), 1, "d")
    assert exchange.token("ALICE").token_id == exchange.token(str(token)).token_id == token
    with pytest.raises(TokenNotFound):
        exchange.token("NOPE")
