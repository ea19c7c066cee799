"""The deposit watcher: each chain deposit credited once per (digest, event sequence), across restarts and a
crash between the credits and the cursor; a deposit of an unknown coin or of nothing is passed over; a sender
with no user yet is credited to the account its address will have."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports import ChainDeposit
from tests.support.engine_ends import engine_ends
from application.settlement.deposits import CURSOR_STREAM, DepositWatcher
from domain.identity.user import user_id_for
from domain.settlement.events import DepositsReadTo
from domain.shared.aggregate import DomainEvent
from domain.shared.money import USD
from tests.unit.test_exchange import Clock, Store, engine, listed

SENDER = "0x" + "5e" * 32


class Deposits:
    """A chain's deposit events, paged by a cursor that is the index after the last one read."""

    def __init__(self, events: list[ChainDeposit]) -> None:
        self.events = events

    async def deposits(self, cursor: str | None, limit: int) -> tuple[list[ChainDeposit], str | None]:
        start = int(cursor or 0)
        page = self.events[start : start + limit]
        return page, str(start + len(page)) if page else cursor


class CursorFails(Store):
    """Fails the first cursor append: a crash after the credits and before the cursor."""

    failed = False

    async def append(self, events: Sequence[DomainEvent], fence: int | None = None) -> int:
        if not self.failed and any(isinstance(e, DepositsReadTo) for e in events):
            self.failed = True
            raise OSError("killed")
        return await super().append(events, fence)


async def test_each_chain_deposit_is_credited_once_across_a_crash_and_a_restart() -> None:
    store = CursorFails()
    exchange = await engine(store)
    token = await listed(exchange)
    chain = Deposits([
        ChainDeposit("D1", 0, SENDER, USD, 5_000_000),
        ChainDeposit("D1", 1, SENDER, str(token), 7),
        ChainDeposit("D2", 0, SENDER, "0xdead::coin::NOT_OURS", 9),
        ChainDeposit("D3", 0, SENDER, USD, 0),
    ])
    watcher = DepositWatcher(*engine_ends(exchange, store), chain, store, Clock())  # type: ignore[arg-type]
    try:
        await watcher.tick()
    except OSError:
        pass  # the cursor was not kept
    again = DepositWatcher(*engine_ends(exchange, store), chain, store, Clock())  # type: ignore[arg-type]
    assert await again.tick() == 4 and await again.tick() == 0
    chain.events.append(ChainDeposit("D4", 0, SENDER, USD, 1))
    exchange = await engine(store)
    restarted = DepositWatcher(*engine_ends(exchange, store), chain, store, Clock())  # type: ignore[arg-type]
    assert await restarted.tick() == 1
    owner = user_id_for(SENDER)
    ledger = exchange.state.ledger
    assert (ledger.available(owner, USD), ledger.available(owner, str(token))) == (5_000_001, 7)
    assert [e.cursor for e in await store.read_stream(CURSOR_STREAM)] == ["4", "5"]  # type: ignore[attr-defined]

