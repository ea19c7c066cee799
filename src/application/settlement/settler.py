"""The settler: every interval it takes what the engine has matched to the chain (SETTLEMENT.md).

One step at a time, each stored by the engine before the next is taken, so a process killed anywhere resumes
where the log says: a batch that is open is built (its transaction made and signed once, the bytes stored); a
built or submitted one is sent, the same bytes every time, so it has one digest and the chain runs it at most
once; its effects confirm it (paying its withdrawals in the same commit) or fail it (releasing them; its trades
go into the next batch). A chain that does not answer is never taken for a failure: the settler asks for the
digest, and sends the same bytes again at the next tick until it knows.

The settler commands the engine like any api process does (``handle``: an EngineClient, in the engine's
process for ``serve``, over the command bus for ``peoplecoin settler``) and reads the live batch from the
committed market once it holds the answer's position, so it runs wherever it is started; ``leads`` says
whether this one may act (one settler at a time: the engine's leader in ``serve``, the settler lease's holder
for ``peoplecoin settler``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from application.live.market import CommittedMarket
from application.ports import BatchContent, Chain, ChainUnavailable, Effects, Payout, SignedTransaction
from application.projections.settlement import SettlementView
from application.trading.commands import ConfirmBatch, EngineCommand, FailBatch, OpenBatch, RecordBuilt, RecordSubmitted
from application.trading.exchange import Done
from domain.settlement.batch import BUILT, OPEN, SettlementBatch
from domain.settlement.leaf import TradeLeaf
from domain.settlement.merkle import root

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 10.0


@dataclass(frozen=True, slots=True)
class Step:
    """What one tick did, for tests and logs."""

    sequence: int
    status: str  # where the batch stands after the tick
    detail: str = ""


class Settler:
    def __init__(
        self,
        handle: Callable[[EngineCommand], Awaitable[Done]],
        market: Callable[[int], Awaitable[CommittedMarket]],
        leads: Callable[[], bool],
        chain: Chain,
        view: SettlementView,
        caught_up: Callable[[int], Awaitable[bool]],
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        """``market(position)``: the committed market once it holds ``position``. ``caught_up(position)`` waits
        (briefly) until the settlement and users views have read the log up to ``position``; False when they have
        not yet (the batch is built at a later tick)."""
        self._handle, self._market, self._leads = handle, market, leads
        self._chain, self._view = chain, view
        self._caught_up = caught_up
        self._position = 0  # the log position of this settler's last answer: the market it reads holds it
        self.interval = interval
        self._opened_at: dict[int, int] = {}  # a batch this settler opened: the log position of its opening

    async def run(self) -> None:
        """Settle every ``interval`` seconds until cancelled; a failing tick is logged and tried again. At start
        a live batch is taken on at once (a restart resumes it); a new one opens an interval later. After a
        confirmed batch what waited behind it goes at once; after failed ones the pause doubles (up to 64
        intervals), so a chain that keeps refusing is not sent a new batch every moment."""
        opening, failures = False, 0
        while True:
            try:
                while (step := await self.tick(opening)) is not None and step.status == "confirmed":
                    failures = 0
                if step is not None and step.status == "failed":
                    failures += 1
                opening = True
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("settlement tick failed; trying again in %.0fs", self.interval)
            await asyncio.sleep(self.interval * min(2**failures, 64))

    async def tick(self, opening: bool = True) -> Step | None:
        """Open a batch if none is live and something waits (with ``opening``), then take the live one as far as it
        goes now. Nothing while this process does not run the engine (a standby's settler waits for its turn)."""
        if not self._leads():
            return None
        batch = (await self._market(self._position)).state.batch
        if batch is None:
            done = await self._send(OpenBatch()) if opening else None
            if done is None or done.value is None:
                return None
            self._opened_at = {done.value.sequence: done.position}  # type: ignore[attr-defined]
            batch = (await self._market(done.position)).state.batch
            assert batch is not None
        return await self._drive(batch)

    async def _send(self, command: EngineCommand) -> Done:
        done = await self._handle(command)
        self._position = max(self._position, done.position)
        return done

    async def _drive(self, batch: SettlementBatch) -> Step:
        sequence, status = batch.sequence, batch.status
        if status == OPEN:
            built = await self._build(batch)
            if built is None:
                return Step(sequence, OPEN, "the views have not read the batch yet")
            await self._send(RecordBuilt(sequence, *built))
            tx, status = built[1], BUILT
        else:
            assert batch.built is not None
            b = batch.built
            tx = SignedTransaction(b.tx_bytes, b.signature, b.digest, b.operator_address)
        if status == BUILT:
            await self._send(RecordSubmitted(sequence))  # before sending: from now on the chain may run it
        try:
            effects: Effects | None = await self._chain.execute(tx)
        except ChainUnavailable as error:
            log.warning("batch %d (%s): the chain did not answer (%s); asking for the digest", sequence, tx.digest, error)
            try:
                effects = await self._chain.effects(tx.digest)
            except ChainUnavailable:
                effects = None
            if effects is None:
                return Step(sequence, "submitted", "outcome unknown: the same bytes go again at the next tick")
        if effects.ok:
            await self._send(ConfirmBatch(sequence, tx.digest, effects.checkpoint))
            log.info("batch %d confirmed: %s", sequence, tx.digest)
            return Step(sequence, "confirmed")
        await self._send(FailBatch(sequence, effects.error or "the chain refused the transaction"))
        log.error("batch %d failed on chain: %s", sequence, effects.error)
        return Step(sequence, "failed", effects.error)

    async def _build(self, batch: SettlementBatch) -> tuple[bytes, SignedTransaction] | None:
        """The batch's root and signed transaction; None while the views lag behind the batch's opening."""
        opened = batch.opened
        assert opened is not None
        # the views must have read the opening (one opened before a restart: everything stored so far)
        market = await self._market(self._position)
        if not await self._caught_up(self._opened_at.get(opened.sequence, market.position)):
            return None
        leaves = await self._view.leaves(opened.sequence)
        if len(leaves) != opened.trade_count:
            return None
        missing = [leaf.trade.trade_id for leaf in leaves if leaf.buyer_address is None or leaf.seller_address is None]
        if missing:
            log.warning("batch %d: %d trades name users the users view lacks; waiting", opened.sequence, len(missing))
            return None
        trades_root = root([trade_leaf(leaf.trade, leaf.buyer_address, leaf.seller_address) for leaf in leaves])  # type: ignore[arg-type]
        withdrawals = market.state.withdrawals
        payouts = tuple(
            Payout(w.asset, w.requested.amount, w.requested.to_address)  # type: ignore[union-attr]
            for w in (withdrawals[withdrawal_id] for withdrawal_id in opened.withdrawals)
        )
        content = BatchContent(opened.sequence, trades_root, opened.trade_count, payouts)
        return trades_root, await self._chain.prepare(content)


def trade_leaf(trade, buyer: str, seller: str) -> bytes:  # type: ignore[no-untyped-def]
    """A view's trade as its Merkle leaf."""
    return TradeLeaf(
        trade.trade_id, trade.token_id, buyer, seller, trade.price, trade.quantity, trade.buyer_fee, trade.seller_fee
    ).encode()
