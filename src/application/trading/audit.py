"""The audit's checks of money: the whole log replayed from its first event, and what it must come to.

- Conservation: per asset, the sum over every account (the fee account
  included) of available + held equals what came in (deposits, issued supply)
  less what went out (completed withdrawals; their network fee stays).
- Nothing is negative; a held balance is exactly what the owner's open orders
  and pending withdrawals hold; no book is crossed.
- The newest snapshot, brought forward with the log after it, is the replay
  from the first event, byte for byte (the committed market's whole state, its
  feed counters included).
"""

from __future__ import annotations

from collections.abc import Callable

from application.audit import CheckResult, Difference
from application.live.market import CommittedMarket, Snapshot
from application.ports import EventStore, SnapshotStore
from domain.account.events import Deposited, SupplyIssued, WithdrawalCompleted
from domain.orderbook.order import BUY, SELL
from domain.shared.money import USD

READ_BATCH = 5_000


async def replay(store: EventStore, market: CommittedMarket, head: int) -> dict[str, int]:
    """Bring ``market`` to ``head``; returns, per asset, what entered the exchange on the way less what left."""
    came_in: dict[str, int] = {}
    limit = READ_BATCH
    while market.position < head:
        before = market.position
        batch = [r for r in await store.read_log(before, limit) if r.position <= head]
        if not batch:
            break
        market.advance([(r.position, r.event) for r in batch], complete=batch[-1].position == head)
        for recorded in batch:
            event = recorded.event
            if recorded.position <= market.position and isinstance(event, Deposited | SupplyIssued | WithdrawalCompleted):
                sign = -1 if isinstance(event, WithdrawalCompleted) else 1
                came_in[event.asset] = came_in.get(event.asset, 0) + sign * event.amount
        limit = READ_BATCH if market.position > before else limit * 2  # a step longer than a read
    return came_in


class MoneyCheck:
    name = "money"

    def __init__(self, store: EventStore, snapshots: SnapshotStore, encode: Callable[[Snapshot], bytes]) -> None:
        self._store, self._snapshots, self._encode = store, snapshots, encode

    async def run(self) -> CheckResult:
        head = await self._store.head()
        market = CommittedMarket()
        came_in = await replay(self._store, market, head)
        state = market.state
        differences: list[Difference] = []

        totals = state.ledger.totals()
        for asset in sorted(set(totals) | set(came_in)):
            if totals.get(asset, 0) != came_in.get(asset, 0):
                name = asset if asset == USD else next((t.symbol for t in state.tokens.values() if str(t.token_id) == asset), asset)
                differences.append(Difference(f"conservation of {name}", str(totals.get(asset, 0)), f"{came_in.get(asset, 0)} came in less what went out"))
        held: dict[tuple[object, str], int] = {}
        for book in state.books.values():
            for order in book.resting():
                key = (order.user_id, USD if order.side == BUY else book.asset)
                held[key] = held.get(key, 0) + order.hold
            bid, ask = book.best(BUY), book.best(SELL)
            if bid is not None and ask is not None and bid >= ask:
                differences.append(Difference(f"book {book.id}", f"best bid {bid} >= best ask {ask}", "not crossed"))
        for withdrawal in state.withdrawals.values():
            key = (withdrawal.owner, withdrawal.asset)
            held[key] = held.get(key, 0) + withdrawal.hold
        for owner, asset, available, on_hold in state.ledger.entries():
            if available < 0 or on_hold < 0:
                differences.append(Difference(f"balance {owner} {asset}", f"{available} available, {on_hold} held", ">= 0"))
            if on_hold != held.get((owner, asset), 0):
                differences.append(
                    Difference(f"held {owner} {asset}", str(on_hold), f"{held.get((owner, asset), 0)} (its open orders and pending withdrawals)")
                )

        kept = await self._snapshots.latest()
        if kept is not None and kept.position <= head:
            resumed = CommittedMarket.from_snapshot(kept)
            await replay(self._store, resumed, head)
            if self._encode(resumed.snapshot()) != self._encode(market.snapshot()):
                differences.append(
                    Difference(f"snapshot at {kept.position}", "brought forward to the head", "equal to a replay from 0")
                )
        snapshot_note = f"the snapshot at {kept.position} brought forward" if kept else "no snapshot yet"
        return CheckResult(
            self.name,
            f"{head} events replayed: {len(totals)} assets conserved, holds, nothing negative, "
            f"{len(state.books)} books uncrossed; {snapshot_note}",
            differences,
        )

