"""The exchange: every order book and every balance, in memory, written by this process alone.

Sequencing. Each market's commands run one at a time, start to finish,
with no lock: a command decides synchronously on the event loop (no await
between reading the book and handing its events to the group commit), so
nothing interleaves with it, and commands of one market are decided, and
committed, in arrival order. Balances are shared by all markets (one USD
account pays for orders everywhere) and this is what keeps them exact
without locks.

Durability. A command is answered only after the transaction holding its
events commits. If a commit fails, the in-memory state is ahead of the
log: the engine halts (every command is refused with ``exchange_halted``)
and rebuilds from the log before it takes commands again.

Recovery. At start (and after a halt) the whole log is replayed in order
into fresh aggregates sharing one ledger.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.errors import ServiceUnavailable
from application.ports import Clock, EventStore, IdGenerator
from application.trading.group_commit import GroupCommit
from domain.account.ledger import ACCOUNTS_ID, Accounts, Ledger
from domain.orderbook.book import Fill, NewOrder, Order, OrderBook
from domain.orderbook.errors import MarketNotFound, OrderNotFound
from domain.orderbook.events import MarketOpened
from domain.shared.aggregate import DomainEvent
from domain.shared.money import USD
from domain.token.errors import SymbolTaken, TokenNotFound
from domain.token.events import TokenListed
from domain.token.token import MarketParameters, Token, listing_stream, normalise_symbol, token_id_for

log = logging.getLogger(__name__)

REPLAY_BATCH = 5_000


class ExchangeHalted(ServiceUnavailable):
    code = "exchange_halted"


class EngineElsewhere(ServiceUnavailable):
    """This process serves reads and the live feed; another one runs the matching engine."""

    code = "engine_elsewhere"


@dataclass(frozen=True, slots=True)
class Done:
    """A command's outcome, snapshotted when it was decided, and the log position of its last event."""

    value: object
    position: int


class Exchange:
    def __init__(self, store: EventStore, clock: Clock, ids: IdGenerator, writer: bool = True) -> None:
        self._store, self._clock, self._ids = store, clock, ids
        self._writer = writer
        self._reset()
        self._listeners: list[Callable[[Sequence[DomainEvent]], None]] = []
        self._commit = GroupCommit(store, self._halt, self._committed)
        self._halted: BaseException | None = None
        self._recovering: asyncio.Task[None] | None = None

    def _reset(self) -> None:
        self.ledger = Ledger()
        self.accounts = Accounts(ACCOUNTS_ID, self.ledger)
        self.books: dict[UUID, OrderBook] = {}
        self.tokens: dict[UUID, TokenListed] = {}
        self.position = 0

    # ----- life -----

    async def recover(self) -> None:
        """Rebuild books and balances from the whole log."""
        self._reset()
        position = 0
        while batch := await self._store.read_log(position, REPLAY_BATCH):
            for recorded in batch:
                self._replay(recorded.event)
            position = batch[-1].position
        self.position = position
        self._halted = None
        log.info("exchange rebuilt from %d events: %d markets", position, len(self.books))

    async def close(self) -> None:
        await self._commit.close()

    async def follow(self, poll_interval: float = 0.1) -> None:
        """Keep a read-only exchange current by replaying what the engine elsewhere appends; until cancelled."""
        assert not self._writer, "the engine writes its own state; only a read-only exchange follows the log"
        while True:
            try:
                while batch := await self._store.read_log(self.position, REPLAY_BATCH):
                    for recorded in batch:
                        self._replay(recorded.event)
                    self.position = batch[-1].position
            except Exception:
                log.exception("could not follow the log; trying again")
            await asyncio.sleep(poll_interval)

    def listen(self, listener: Callable[[Sequence[DomainEvent]], None]) -> None:
        """Hear each command's events once they are durable, in commit order (live feeds publish them)."""
        self._listeners.append(listener)

    def _committed(self, events: Sequence[DomainEvent]) -> None:
        for listener in self._listeners:
            listener(events)

    def _replay(self, event: DomainEvent) -> None:
        stream = event.originator_id
        if stream == ACCOUNTS_ID:
            self.accounts.apply_stored(event)
        elif (book := self.books.get(stream)) is not None:
            book.apply_stored(event)
        elif isinstance(event, MarketOpened):
            book = self.books[stream] = OrderBook(stream, self.ledger)
            book.apply_stored(event)
        elif isinstance(event, TokenListed):
            self.tokens[event.token_id] = event

    def _halt(self, error: BaseException) -> None:
        self._halted = error
        if self._recovering is None or self._recovering.done():
            self._recovering = asyncio.get_running_loop().create_task(self._recover_after_halt())

    async def _recover_after_halt(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.recover()
                log.warning("exchange recovered after a failed commit")
                return
            except Exception:
                log.exception("exchange recovery failed; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    def _check_running(self) -> None:
        if not self._writer:
            raise EngineElsewhere("this server process does not run the matching engine; send commands to the one that does")
        if self._halted is not None:
            raise ExchangeHalted("trading is paused while the engine recovers from a storage failure; retry shortly")

    async def _commit_events(self, events: Sequence[DomainEvent], value: object) -> Done:
        """Answer once the events are durable; a command with none (a repeat) still waits for what came
        before it, so it never acknowledges something not yet stored."""
        position = await self._commit.submit(events)
        self.position = max(self.position, position)
        return Done(value, position)

    async def settled(self) -> None:
        """Wait until everything decided up to this call is durable. A live read takes its snapshot first,
        then awaits this, so it never shows what a crash could still take back."""
        if not self._writer:
            return  # nothing is decided here; what this process shows came from the log
        self._check_running()
        await self._commit.settled()

    # ----- queries (the live state) -----

    def token(self, ref: str) -> TokenListed:
        """A listed token by id or symbol."""
        try:
            found = self.tokens.get(UUID(ref))
        except ValueError:
            found = self.tokens.get(token_id_for(ref.strip().upper()))
        if found is None:
            raise TokenNotFound(f"no token {ref!r}")
        return found

    def book(self, token_id: UUID) -> OrderBook:
        book = self.books.get(token_id)
        if book is None:
            raise MarketNotFound("no market for that token")
        return book

    def asset_name(self, asset: str) -> str:
        """``USD`` or the token's symbol, for people; the ledger keys tokens by id."""
        return asset if asset == USD else self.tokens[UUID(asset)].symbol

    # ----- commands -----

    async def place(self, token_id: UUID, new: NewOrder) -> Done:
        self._check_running()
        book = self.book(token_id)
        placement = book.place(new, self._clock.now())
        snapshot = OrderSnapshot.of(placement.order, token_id, book)
        events = book.collect_events()
        return await self._commit_events(events, PlacementSnapshot(snapshot, list(placement.fills), placement.repeated))

    async def cancel(self, user_id: UUID, order_id: UUID) -> Done:
        self._check_running()
        for token_id, book in self.books.items():
            if book.find(order_id) is not None:
                order = book.cancel(order_id, user_id, self._clock.now())
                return await self._commit_events(book.collect_events(), OrderSnapshot.of(order, token_id, book))
        raise OrderNotFound("no such order of yours")

    async def cancel_all(self, user_id: UUID, token_id: UUID | None) -> Done:
        self._check_running()
        now = self._clock.now()
        books = [(token_id, self.book(token_id))] if token_id else list(self.books.items())
        cancelled: list[OrderSnapshot] = []
        events: list[DomainEvent] = []
        for market, book in books:
            cancelled += [OrderSnapshot.of(o, market, book) for o in book.cancel_all(user_id, now)]
            events += book.collect_events()
        return await self._commit_events(events, cancelled)

    async def deposit(self, owner: UUID, asset: str, amount: int, reference: str, address: str = "") -> Done:
        self._check_running()
        if asset != USD and UUID(asset) not in self.tokens:
            raise TokenNotFound("no such token")
        self.accounts.deposit(owner, asset, amount, reference, self._clock.now(), address)
        return await self._commit_events(self.accounts.collect_events(), None)

    async def list_token(
        self,
        *,
        symbol: str,
        name: str,
        creator_id: UUID,
        creator_address: str,
        total_supply: int,
        initial_price: int,
        parameters: MarketParameters,
    ) -> Done:
        """One atomic append: the token, its market, and its whole supply credited to the creator."""
        self._check_running()
        symbol = normalise_symbol(symbol)
        token_id = token_id_for(symbol)
        if token_id in self.tokens:
            raise SymbolTaken(f"{symbol} is listed already")
        now = self._clock.now()
        token = Token(listing_stream(token_id))
        listing = token.list(
            token_id=token_id,
            symbol=symbol,
            name=name,
            creator_id=creator_id,
            creator_address=creator_address,
            total_supply=total_supply,
            initial_price=initial_price,
            parameters=parameters,
            at=now,
        )
        book = OrderBook(token_id, self.ledger)
        book.open(symbol, parameters.decimals, parameters.tick_size, parameters.lot_size, parameters.min_size, now)
        events = token.collect_events() + book.collect_events()
        self.tokens[token_id] = listing
        self.books[token_id] = book
        self.accounts.issue(creator_id, str(token_id), total_supply, now, creator_address)
        events += self.accounts.collect_events()
        return await self._commit_events(events, listing)


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order as it stood when the command was decided (the live Order keeps changing)."""

    id: UUID
    client_order_id: str | None
    token_id: UUID
    user_id: UUID
    side: str
    type: str
    time_in_force: str
    price: int
    quantity: int
    quote_amount: int
    filled: int
    remaining: int
    notional: int
    fees: int
    status: str
    created_at: datetime
    updated_at: datetime
    scale: int

    @classmethod
    def of(cls, order: Order, token_id: UUID, book: OrderBook) -> OrderSnapshot:
        return cls(
            order.id,
            order.client_order_id,
            token_id,
            order.user_id,
            order.side,
            order.type,
            order.time_in_force,
            order.price,
            order.quantity,
            order.quote_amount,
            order.filled,
            order.remaining,
            order.notional,
            order.fees,
            order.status,
            order.created_at,
            order.updated_at,
            book.scale,
        )


@dataclass(frozen=True, slots=True)
class PlacementSnapshot:
    order: OrderSnapshot
    fills: list[Fill]
    repeated: bool
