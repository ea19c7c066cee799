"""Books, balances and listings as of one position of the log: what the engine decides on, and what every
reader is shown.

The state only ever changes by applying stored events (the aggregates'
``apply_stored``), so two copies given the same events are the same, and a
snapshot of one, restored and brought forward with the rest of the log,
equals a copy that replayed the whole log from the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
    withdrawals: list[WithdrawalRequested]  # the pending ones: their holds are in the ledger


class MarketState:
    def __init__(self) -> None:
        self.ledger = Ledger()
        self.open_orders = OpenOrders()
        self.accounts = Accounts(ACCOUNTS_ID, self.ledger)
        self.books: dict[UUID, OrderBook] = {}
        self.tokens: dict[UUID, TokenListed] = {}
        self.withdrawals: dict[UUID, Withdrawal] = {}  # pending only: an ended one leaves memory

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
            withdrawals=[self.withdrawals[w].requested for w in sorted(self.withdrawals)],  # type: ignore[misc]
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

