"""Books, balances and listings as of one position of the log: what the engine decides on, and what every
reader is shown.

The state only ever changes by applying stored events (the aggregates'
``apply_stored``), so two copies given the same events are the same, and a
snapshot of one, restored and brought forward with the rest of the log,
equals a copy that replayed the whole log from the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from domain.account.events import (
    Deposited,
    Transferred,
    WithdrawalCancelled,
    WithdrawalCompleted,
    WithdrawalFailed,
    WithdrawalRequested,
)
from domain.account.ledger import ACCOUNTS_ID, FEE_ACCOUNT, Accounts, Ledger, LedgerEntry
from domain.account.movements import Withdrawal, apply_transfer
from domain.orderbook.book import BookState, OrderBook
from domain.orderbook.errors import MarketNotFound
from domain.orderbook.events import MarketOpened
from domain.orderbook.order import OpenOrders
from domain.settlement.batch import SettlementBatch
from domain.settlement.events import BatchBuilt, BatchConfirmed, BatchFailed, BatchOpened, BatchSubmitted
from domain.shared.aggregate import DomainEvent
from domain.shared.money import USD, USD_DECIMALS
from domain.token.errors import TokenNotFound
from domain.token.events import TokenListed
from domain.token.token import token_id_for


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketStateSnapshot:
    accounts_version: int
    ledger: list[LedgerEntry]
    tokens: list[TokenListed]
    books: list[BookState]
    withdrawals: list[WithdrawalRequested]  # the pending ones, in request order: their holds are in the ledger
    next_batch: int
    settled_trades: int
    # the live settlement batch's events, if one is live
    batch_opened: BatchOpened | None = None
    batch_built: BatchBuilt | None = None
    batch_submitted: BatchSubmitted | None = None
    closed_orders: list[tuple[UUID, UUID, str]] = field(default_factory=list)  # recently closed: (id, owner, status)


class MarketState:
    def __init__(self) -> None:
        self.ledger = Ledger()
        self.open_orders = OpenOrders()
        self.accounts = Accounts(ACCOUNTS_ID, self.ledger)
        self.books: dict[UUID, OrderBook] = {}
        self.tokens: dict[UUID, TokenListed] = {}
        self.withdrawals: dict[UUID, Withdrawal] = {}  # pending only, in request order: an ended one leaves memory
        self.batch: SettlementBatch | None = None  # the live settlement batch
        self.next_batch = 1
        self.settled_trades = 0  # trades up to the opening of the last confirmed batch

    # ----- applying stored events -----

    def apply(self, event: DomainEvent) -> None:
        stream = event.originator_id
        if (book := self.books.get(stream)) is not None:
            book.apply_stored(event)
        elif stream == ACCOUNTS_ID:
            self.accounts.apply_stored(event)
        elif isinstance(event, Deposited):  # a deposit's own stream (see domain.account.ledger.Deposit)
            self.ledger.credit(event.owner, event.asset, event.amount)
        elif isinstance(event, MarketOpened):
            self.open_book(stream).apply_stored(event)
        elif isinstance(event, TokenListed):
            self.tokens[event.token_id] = event
        elif isinstance(event, Transferred):
            apply_transfer(self.ledger, event)
        elif isinstance(event, WithdrawalRequested):
            withdrawal = self.withdrawals[stream] = Withdrawal(stream, self.ledger)
            withdrawal.apply_stored(event)
        elif isinstance(event, WithdrawalCancelled | WithdrawalCompleted | WithdrawalFailed):
            self.withdrawals.pop(stream).apply_stored(event)
        elif isinstance(event, BatchOpened | BatchBuilt | BatchSubmitted | BatchConfirmed | BatchFailed):
            self.apply_batch(event)

    def apply_batch(self, event: DomainEvent) -> None:
        """A settlement batch's event, the engine's own or one read from the log."""
        if isinstance(event, BatchOpened):
            self.batch = SettlementBatch(event.originator_id)
            self.next_batch = event.sequence + 1
        assert self.batch is not None and self.batch.id == event.originator_id, "one batch is live at a time"
        if self.batch.version < event.originator_version:
            self.batch.apply_stored(event)
        if isinstance(event, BatchConfirmed):
            assert self.batch.opened is not None
            self.settled_trades = self.batch.opened.trades_before
        if isinstance(event, BatchConfirmed | BatchFailed):
            self.batch = None

    def trade_count(self) -> int:
        """Trades made on every book so far."""
        return sum(book.trade_count for book in self.books.values())

    def unsettled_withdrawals(self) -> list[Withdrawal]:
        """Pending withdrawals no live batch carries, in request order."""
        carried = set(self.batch.withdrawals) if self.batch is not None else set()
        return [w for w in self.withdrawals.values() if w.id not in carried]

    def apply_all(self, events: Iterable[DomainEvent]) -> None:
        for event in events:
            self.apply(event)

    def open_book(self, token_id: UUID) -> OrderBook:
        book = self.books[token_id] = OrderBook(token_id, self.ledger, self.open_orders)
        return book

    # ----- snapshots -----

    def snapshot(self) -> MarketStateSnapshot:
        """Everything, in one order whatever the history: equal states give equal snapshots."""
        return MarketStateSnapshot(
            accounts_version=self.accounts.version,
            ledger=self.ledger.state(),
            tokens=sorted(self.tokens.values(), key=lambda t: t.token_id),
            books=[self.books[token_id].state() for token_id in sorted(self.books)],
            withdrawals=[w.requested for w in self.withdrawals.values()],  # type: ignore[misc]
            batch_opened=self.batch.opened if self.batch else None,
            batch_built=self.batch.built if self.batch else None,
            batch_submitted=self.batch.submitted if self.batch else None,
            next_batch=self.next_batch,
            settled_trades=self.settled_trades,
            closed_orders=[(order_id, *closed) for order_id, closed in self.open_orders.closed.items()],
        )

    @classmethod
    def from_snapshot(cls, kept: MarketStateSnapshot) -> MarketState:
        state = cls()
        state.ledger = Ledger.from_state(kept.ledger)
        state.accounts = Accounts(ACCOUNTS_ID, state.ledger)
        state.accounts.version = kept.accounts_version
        state.tokens = {t.token_id: t for t in kept.tokens}
        state.books = {b.id: OrderBook.from_state(b, state.ledger, state.open_orders) for b in kept.books}
        state.withdrawals = {w.originator_id: Withdrawal.restored(w, state.ledger) for w in kept.withdrawals}
        if kept.batch_opened is not None:
            live = [e for e in (kept.batch_opened, kept.batch_built, kept.batch_submitted) if e is not None]
            state.batch = SettlementBatch.replay(kept.batch_opened.originator_id, live)
        state.next_batch, state.settled_trades = kept.next_batch, kept.settled_trades
        state.open_orders.closed = {order_id: (owner, status) for order_id, owner, status in kept.closed_orders}
        return state

    # ----- questions -----

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

    def decimals(self, asset: str) -> int:
        return USD_DECIMALS if asset == USD else self.tokens[UUID(asset)].decimals

    def circulating(self, token: TokenListed) -> int:
        """The supply outside platform-held accounts (API.md: market cap = price × circulating supply)."""
        return token.total_supply - self.ledger.available(FEE_ACCOUNT, str(token.token_id))
