"""The engine: decides trading commands on every book and balance in memory; the one writer of the market.

Sequencing. Each market's commands run one at a time, start to finish,
with no lock: a command decides synchronously on the event loop (no await
between reading the book and handing its events to the group commit), so
nothing interleaves with it, and commands of one market are decided, and
committed, in arrival order. Balances are shared by all markets (one USD
account pays for orders everywhere) and this is what keeps them exact
without locks.

One writer. The engine runs only in the process holding the writer lease,
and every append carries the fence it was given when it took the lease: an
engine that lost its lease cannot store anything, even a batch already on
its way (the store refuses it), and stops deciding.

Durability. A command is answered only after the transaction holding its
events commits. If a commit fails, the state in memory is ahead of the log:
the engine stops taking commands (``engine_recovering``) and rebuilds from
the newest snapshot and the log after it, then resumes. Readers never see
this state: they read the committed market (application.live), built from
the log alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

from application.errors import ServiceUnavailable
from application.ports import Chain, ClosedOrders, Clock, EventStore, Fenced, SignedTransaction, SnapshotStore
from application.trading.group_commit import GroupCommit
from application.trading.state import MarketState
from domain.account.errors import AssetNotFound, WithdrawalNotCancellable, WithdrawalNotFound
from domain.account.events import Deposited, WithdrawalRequested
from domain.account.ledger import Deposit
from domain.account.movements import (
    TRANSFERS_NAMESPACE,
    WITHDRAWALS_NAMESPACE,
    Transfer,
    Withdrawal,
    keyed_stream,
)
from domain.orderbook.book import Fill, NewOrder, OrderBook
from domain.orderbook.order import OrderState
from domain.orderbook.errors import OrderNotFound, OrderNotOpen
from domain.settlement.batch import MAX_PAYOUTS, SettlementBatch, batch_stream
from domain.settlement.errors import BatchNotLive
from domain.settlement.events import BatchOpened
from domain.shared.aggregate import DomainEvent
from domain.shared.money import USD
from domain.token.errors import SymbolTaken, TokenNotFound
from domain.token.events import TokenListed
from domain.token.token import MarketParameters, Token, listing_stream, normalise_symbol, token_id_for

log = logging.getLogger(__name__)

REPLAY_BATCH = 5_000


class EngineRecovering(ServiceUnavailable):
    code = "engine_recovering"


class EngineElsewhere(ServiceUnavailable):
    """This process serves reads and the live feed; another one runs the matching engine."""

    code = "engine_elsewhere"


class Mode(StrEnum):
    ELSEWHERE = "elsewhere"  # not the writer (yet): another process holds the lease, or none was taken
    RECOVERING = "recovering"  # rebuilding from the newest snapshot and the log
    RUNNING = "running"


@dataclass(frozen=True, slots=True)
class Done:
    """A command's outcome, snapshotted when it was decided, and the log position of its last event."""

    value: object
    position: int


@dataclass(frozen=True, slots=True)
class PlacementSnapshot:
    order: OrderState
    fills: list[Fill]
    repeated: bool


E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True, slots=True)
class Repeatable(Generic[E]):
    """A keyed command's outcome: ``repeated`` when the key was used before and this is the first result."""

    value: E
    repeated: bool


@dataclass(frozen=True, slots=True)
class WithdrawalEnded:
    requested: WithdrawalRequested
    status: str  # cancelled, completed or failed
    at: datetime


@dataclass(frozen=True, slots=True)
class DepositSnapshot:
    deposit: Deposited
    repeated: bool  # the reference was recorded before: this is the first deposit, nothing credited again


class Exchange:
    def __init__(
        self,
        store: EventStore,
        snapshots: SnapshotStore,
        clock: Clock,
        closed_orders: ClosedOrders | None = None,
        chain: Chain | None = None,
    ) -> None:
        """``chain``, when it is the local ledger, is told of each listing's supply (minted into the token's vault,
        as a listing does on chain), so custody matches the balances it backs."""
        self._store, self._snapshots, self._clock = store, snapshots, clock
        self._chain = chain if chain is not None and chain.is_local else None
        self._closed_orders = closed_orders
        self.state = MarketState()
        self.mode = Mode.ELSEWHERE
        self._commit = GroupCommit(store, self._failed)
        self._recovering: asyncio.Task[None] | None = None
        self._in_flight: dict[UUID, asyncio.Future[None]] = {}  # streams a keyed command is deciding or storing

    @property
    def position(self) -> int:
        """The log position of the last event this engine stored, or recovered to."""
        return self._commit.last

    # ----- life -----

    async def start(self, fence: int) -> None:
        """Become the writer with ``fence`` (from EventStore.claim_writer, under the lease): rebuild, then run."""
        self._commit.fence = fence
        self.mode = Mode.RECOVERING
        await self._rebuild()
        self.mode = Mode.RUNNING
        log.info("engine running at position %d with fence %d: %d markets", self.position, fence, len(self.state.books))

    def stand_down(self, reason: str) -> None:
        """Stop deciding at once (the lease is gone); what is in flight fails at the store's fence."""
        if self.mode is not Mode.ELSEWHERE:
            log.critical("engine stands down: %s", reason)
        self.mode = Mode.ELSEWHERE
        if self._recovering is not None:
            self._recovering.cancel()

    async def close(self) -> None:
        if self._recovering is not None:
            self._recovering.cancel()
        await self._commit.close()

    async def _rebuild(self) -> None:
        """The newest snapshot, then the log after it; the new state replaces the old in one step."""
        kept = await self._snapshots.latest()
        state, position = (MarketState.from_snapshot(kept.market), kept.position) if kept else (MarketState(), 0)
        replayed = 0
        while batch := await self._store.read_log(position, REPLAY_BATCH):
            state.apply_all(recorded.event for recorded in batch)
            position = batch[-1].position
            replayed += len(batch)
        self.state = state
        self._commit.last = position
        log.info(
            "engine rebuilt: snapshot at %d, %d events after it, head %d", kept.position if kept else 0, replayed, position
        )

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, Fenced):
            self.stand_down("another engine took the writer's lease; this one may not write again")
            return
        if self.mode is not Mode.RUNNING:
            return
        self.mode = Mode.RECOVERING
        self._recovering = asyncio.get_running_loop().create_task(self._recover(), name="engine-recovery")

    async def _recover(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._rebuild()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("engine recovery failed; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
                continue
            if self.mode is Mode.RECOVERING:
                self.mode = Mode.RUNNING
                log.warning("engine recovered after a failed commit, at position %d", self.position)
            return

    def _check_running(self) -> None:
        if self.mode is Mode.RUNNING:
            return
        if self.mode is Mode.RECOVERING:
            raise EngineRecovering("the engine is recovering from a storage failure; retry shortly")
        raise EngineElsewhere("this server process does not run the matching engine; send commands to the one that does")

    async def _commit_events(self, events: Sequence[DomainEvent], value: object) -> Done:
        """Answer once the events are durable; a command with none (a repeat) still waits for what came
        before it, so it never acknowledges something not yet stored."""
        return Done(value, await self._commit.submit(events))

    async def settled(self) -> int:
        """Wait until everything decided up to this call is durable; the log position it reached."""
        return await self._commit.settled()

    # ----- what a command's answer needs -----

    async def listing(self, token_id: UUID) -> TokenListed | None:
        return self.state.tokens.get(token_id)

    # ----- commands -----

    def _book(self, token_id: UUID) -> OrderBook:
        self._check_running()
        return self.state.book(token_id)

    async def place(self, token_id: UUID, new: NewOrder) -> Done:
        book = self._book(token_id)
        placement = book.place(new, self._clock.now())
        snapshot = PlacementSnapshot(placement.order.state(), list(placement.fills), placement.repeated)
        return await self._commit_events(book.collect_events(), snapshot)

    async def cancel(self, user_id: UUID, order_id: UUID) -> Done:
        self._check_running()
        order = self.state.open_orders.get(order_id)
        if order is None or order.user_id != user_id:
            await self._refuse_closed(user_id, order_id)
        assert order is not None
        book = self._book(order.token_id)
        cancelled = book.cancel(order_id, user_id, self._clock.now())
        return await self._commit_events(book.collect_events(), cancelled.state())

    async def _refuse_closed(self, user_id: UUID, order_id: UUID) -> None:
        """The last closed orders are remembered (OpenOrders.closed); of older ones the trading view tells a closed
        order from none at all."""
        closed = self.state.open_orders.closed.get(order_id)
        if closed is not None and closed[0] == user_id:
            raise OrderNotOpen(f"the order is {closed[1]} already")
        status = await self._closed_orders.status_of(user_id, order_id) if self._closed_orders else None
        if status in ("open", "partially_filled"):  # the view has not heard of its end yet; the engine has
            raise OrderNotOpen("the order is no longer open")
        if status is not None:
            raise OrderNotOpen(f"the order is {status} already")
        raise OrderNotFound("no such order of yours")

    async def cancel_all(self, user_id: UUID, token_id: UUID | None) -> Done:
        self._check_running()
        now = self._clock.now()
        books = [self.state.book(token_id)] if token_id else list(self.state.books.values())
        cancelled: list[OrderState] = []
        events: list[DomainEvent] = []
        for book in books:
            cancelled += [o.state() for o in book.cancel_all(user_id, now)]
            events += book.collect_events()
        return await self._commit_events(events, cancelled)

    async def deposit(
        self, owner: UUID, asset: str, amount: int, reference: str, address: str = "", digest: str = ""
    ) -> Done:
        """Credit a deposit once per reference: a repeat (even while the first is still being stored) answers
        with the first deposit and credits nothing."""
        self._check_running()
        if asset != USD and self.state.tokens.get(_uuid_or_none(asset)) is None:  # type: ignore[arg-type]
            raise TokenNotFound("no such token")
        stream = Deposit.of(reference).id

        def decide(stored: list[DomainEvent]) -> tuple[list[DomainEvent], object]:
            if stored:
                assert isinstance(stored[0], Deposited)
                return [], DepositSnapshot(stored[0], True)
            deposit = Deposit(stream, self.state.ledger)
            first = deposit.record(owner, asset, amount, reference, self._clock.now(), address, digest)
            return deposit.collect_events(), DepositSnapshot(first, False)

        return await self._once(stream, decide)

    async def transfer(
        self,
        *,
        transfer_id: UUID,
        sender: UUID,
        recipient: UUID,
        asset: str,
        amount: int,
        from_address: str,
        to_address: str,
        key: str = "",
    ) -> Done:
        """Move ``amount`` to another user, the sender paying the fee; with ``key``, once per key (a retry
        answers the first transfer, ``repeated``)."""
        self._check_running()
        self._check_asset(asset)
        stream = keyed_stream(TRANSFERS_NAMESPACE, sender, key) if key else transfer_id

        def decide(stored: list[DomainEvent]) -> tuple[list[DomainEvent], object]:
            transfer = Transfer.replay(stream, stored) if stored else Transfer(stream, self.state.ledger)
            made = transfer.make(
                sender=sender, recipient=recipient, asset=asset, amount=amount,
                from_address=from_address, to_address=to_address, at=self._clock.now(), key=key,
            )
            return transfer.collect_events(), Repeatable(made, bool(stored))

        return await self._once(stream, decide)

    async def withdraw(
        self,
        *,
        withdrawal_id: UUID,
        owner: UUID,
        asset: str,
        amount: int,
        network_fee: int,
        to_address: str,
        key: str = "",
    ) -> Done:
        """Hold ``amount + network_fee`` until a settlement batch pays it; with ``key``, once per key."""
        self._check_running()
        self._check_asset(asset)
        stream = keyed_stream(WITHDRAWALS_NAMESPACE, owner, key) if key else withdrawal_id

        def decide(stored: list[DomainEvent]) -> tuple[list[DomainEvent], object]:
            withdrawal = Withdrawal.replay(stream, stored) if stored else Withdrawal(stream, self.state.ledger)
            requested = withdrawal.request(
                owner=owner, asset=asset, amount=amount, network_fee=network_fee, to_address=to_address,
                at=self._clock.now(), key=key,
            )
            if not stored:
                self.state.withdrawals[stream] = withdrawal
            return withdrawal.collect_events(), Repeatable(requested, bool(stored))

        return await self._once(stream, decide)

    async def cancel_withdrawal(self, owner: UUID, withdrawal_id: UUID) -> Done:
        withdrawal = await self._pending_withdrawal(withdrawal_id, owner)
        if (batch := self.state.batch) is not None and withdrawal_id in batch.withdrawals:
            raise WithdrawalNotCancellable(f"the withdrawal is being paid by settlement batch {batch.sequence}")
        withdrawal.cancel(self._clock.now())
        return await self._end(withdrawal)

    async def _end(self, withdrawal: Withdrawal) -> Done:
        del self.state.withdrawals[withdrawal.id]
        events = withdrawal.collect_events()
        assert withdrawal.requested is not None
        return await self._commit_events(events, WithdrawalEnded(withdrawal.requested, withdrawal.status, events[-1].at))

    async def _pending_withdrawal(self, withdrawal_id: UUID, owner: UUID | None = None) -> Withdrawal:
        """The pending withdrawal, or why not: 404 when it is not the owner's, 409 when it has ended."""
        self._check_running()
        withdrawal = self.state.withdrawals.get(withdrawal_id)
        if withdrawal is not None and (owner is None or withdrawal.owner == owner):
            return withdrawal
        stored = await self._store.read_stream(withdrawal_id)
        ended = Withdrawal.replay(withdrawal_id, stored) if stored and isinstance(stored[0], WithdrawalRequested) else None
        if ended is None or (owner is not None and ended.owner != owner):
            raise WithdrawalNotFound("no such withdrawal of yours")
        raise WithdrawalNotCancellable(f"the withdrawal is {ended.status}")

    # ----- settlement: the settler's commands (SETTLEMENT.md) -----

    async def open_batch(self) -> Done:
        """Open the next batch with every trade and pending withdrawal that no batch carries (at most
        MAX_PAYOUTS withdrawals: the rest wait). Done(None) when a batch is live already or nothing waits."""
        self._check_running()
        state = self.state
        trades = state.trade_count()
        withdrawals = tuple(w.id for w in state.unsettled_withdrawals()[:MAX_PAYOUTS])
        if state.batch is not None or (trades == state.settled_trades and not withdrawals):
            return Done(None, await self.settled())
        batch = SettlementBatch(batch_stream(state.next_batch))
        opened = batch.open(
            sequence=state.next_batch, trade_count=trades - state.settled_trades, trades_before=trades,
            withdrawals=withdrawals, at=self._clock.now(),
        )
        state.batch, state.next_batch = batch, opened.sequence + 1
        return await self._commit_events(batch.collect_events(), opened)

    async def record_built(self, sequence: int, trades_root: bytes, tx: SignedTransaction) -> Done:
        batch = self._live_batch(sequence)
        batch.build(
            trades_root=trades_root, tx_bytes=tx.tx_bytes, signature=tx.signature, digest=tx.digest,
            operator_address=tx.operator_address, at=self._clock.now(),
        )
        return await self._commit_events(batch.collect_events(), batch.built)

    async def record_submitted(self, sequence: int) -> Done:
        batch = self._live_batch(sequence)
        batch.submit(self._clock.now())
        return await self._commit_events(batch.collect_events(), batch.submitted)

    async def confirm_batch(self, sequence: int, digest: str, checkpoint: int | None) -> Done:
        """The chain ran the batch: its withdrawals are paid (with its digest), its trades settled; one commit."""
        batch, now = self._live_batch(sequence), self._clock.now()
        batch.confirm(digest, checkpoint, now)
        events = batch.collect_events()
        for withdrawal_id in batch.withdrawals:
            withdrawal = self.state.withdrawals.pop(withdrawal_id)
            withdrawal.complete(digest, now)
            events += withdrawal.collect_events()
        assert batch.opened is not None
        self.state.settled_trades, self.state.batch = batch.opened.trades_before, None
        return await self._commit_events(events, events[0])

    async def fail_batch(self, sequence: int, error: str) -> Done:
        """The chain refused the batch: its withdrawals fail and release their holds; its trades wait for the
        next batch; one commit."""
        batch, now = self._live_batch(sequence), self._clock.now()
        batch.fail(error, now)
        events = batch.collect_events()
        for withdrawal_id in batch.withdrawals:
            withdrawal = self.state.withdrawals.pop(withdrawal_id)
            withdrawal.fail(f"settlement batch {sequence} failed: {error}", now)
            events += withdrawal.collect_events()
        self.state.batch = None
        return await self._commit_events(events, events[0])

    def _live_batch(self, sequence: int) -> SettlementBatch:
        self._check_running()
        batch = self.state.batch
        if batch is None or batch.sequence != sequence:
            raise BatchNotLive(f"batch {sequence} is not the live batch")
        return batch

    def _check_asset(self, asset: str) -> None:
        if asset != USD and self.state.tokens.get(_uuid_or_none(asset)) is None:  # type: ignore[arg-type]
            raise AssetNotFound("no such asset")

    async def _once(
        self,
        stream: UUID,
        decide: Callable[[list[DomainEvent]], tuple[list[DomainEvent], object]],
    ) -> Done:
        """Decide a command whose stream is named by what makes it unique (a deposit's reference, an
        idempotency key): ``decide`` is given what is stored there and answers the first result when there is
        one. Commands on one stream run one after another, so a repeat sent while the first is still being
        stored waits for it, then finds it stored. A transfer or withdrawal without a key is named by its own
        id, so a second delivery of the same command finds the first too (application.trading.commands)."""
        while (busy := self._in_flight.get(stream)) is not None:
            await asyncio.wait([busy])
        done = asyncio.get_running_loop().create_future()
        self._in_flight[stream] = done
        try:
            stored = await self._store.read_stream(stream)
            self._check_running()  # the read above awaited: the engine may have stopped meanwhile
            events, value = decide(stored)
            return await self._commit_events(events, value)
        finally:
            del self._in_flight[stream]
            done.set_result(None)

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
        owner_id: UUID | None = None,
    ) -> Done:
        """One atomic append: the token, its market, and its whole supply credited to the creator's user
        (``owner_id``; the creator id itself when none is named)."""
        self._check_running()
        symbol = normalise_symbol(symbol)
        token_id = token_id_for(symbol)
        if token_id in self.state.tokens:
            raise SymbolTaken(f"{symbol} is listed already")
        now = self._clock.now()
        token = Token(listing_stream(token_id))
        listing = token.list(  # every rule of a listing checked here, before the chain hears of it
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
        if self._chain is not None:  # once per token: a listing retried after a failure mints nothing more
            await self._chain.record_deposit(creator_address, str(token_id), total_supply, f"listing:{token_id}")
            self._check_running()
            if token_id in self.state.tokens:
                raise SymbolTaken(f"{symbol} is listed already")
        book = self.state.open_book(token_id)
        book.open(symbol, parameters.decimals, parameters.tick_size, parameters.lot_size, parameters.min_size, now)
        events = token.collect_events() + book.collect_events()
        self.state.tokens[token_id] = listing
        self.state.accounts.issue(owner_id or creator_id, str(token_id), total_supply, now, creator_address)
        events += self.state.accounts.collect_events()
        return await self._commit_events(events, listing)


def _uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
