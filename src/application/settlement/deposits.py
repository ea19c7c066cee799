"""The deposit watcher: the chain's ``Deposited`` events credited to their senders' accounts (SETTLEMENT.md).

Each event is credited once per (transaction digest, event sequence): that pair is the deposit's reference, and
the engine credits a reference once whatever happens around it. The watcher's cursor is kept in the log after
the credits it covers; a crash between the two reads those events again and credits nothing twice. A sender
with no user yet is credited to the account its address will have (a user's id is its address's), which it
finds on its first sign-in. Only for a real chain: the local ledger's deposits are credited by
``POST /admin/deposits`` as they are recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from uuid import UUID, uuid5

from application.live.market import CommittedMarket
from application.ports import Chain, ChainDeposit, ChainUnavailable, Clock, ConcurrencyConflict, EventStore
from application.trading.commands import EngineCommand, RecordDeposit
from application.trading.exchange import Done
from domain.identity.user import user_id_for
from domain.settlement.events import DepositsReadTo

log = logging.getLogger(__name__)

CURSOR_STREAM = uuid5(UUID("6f1c3a52-8d0e-4b7a-9a35-2f4d6c1e7b90"), "chain-deposits-cursor")
PAGE = 100


def deposit_reference(deposit: ChainDeposit) -> str:
    return f"sui:{deposit.digest}:{deposit.event_sequence}"


class DepositWatcher:
    def __init__(
        self,
        handle: Callable[[EngineCommand], Awaitable[Done]],
        market: Callable[[int], Awaitable[CommittedMarket]],
        leads: Callable[[], bool],
        chain: Chain,
        store: EventStore,
        clock: Clock,
        interval: float = 2.0,
    ) -> None:
        """Like the settler (application.settlement.settler): commands through ``handle``, the listed tokens from
        the committed market, acting only while ``leads()``."""
        self._handle, self._market, self._leads = handle, market, leads
        self._chain, self._store, self._clock = chain, store, clock
        self.interval = interval
        self._cursor: tuple[int, str | None] | None = None  # (the cursor stream's version, the cursor)

    async def run(self) -> None:
        while True:
            try:
                while await self.tick():
                    pass
            except asyncio.CancelledError:
                raise
            except ChainUnavailable as error:
                log.warning("deposit watcher: the chain did not answer (%s)", error)
            except Exception:
                log.exception("deposit watcher failed; trying again")
            await asyncio.sleep(self.interval)

    async def tick(self) -> int:
        """Credit the next page of deposits; how many events it read (0: none new, or not the engine here)."""
        if not self._leads():
            return 0
        if self._cursor is None:
            kept = await self._store.read_stream(CURSOR_STREAM)
            self._cursor = (len(kept), kept[-1].cursor if kept else None)  # type: ignore[attr-defined]
        version, cursor = self._cursor
        found, after = await self._chain.deposits(cursor, PAGE)
        if not found:
            return 0
        listed: Mapping[UUID, object] = (await self._market(0)).state.tokens
        for deposit in found:
            if deposit.amount <= 0 or (deposit.asset != "USD" and _uuid(deposit.asset) not in listed):
                log.warning("deposit %s: nothing to credit (%s %d)", deposit_reference(deposit), deposit.asset, deposit.amount)
                continue
            await self._handle(RecordDeposit(
                user_id_for(deposit.sender), deposit.asset, deposit.amount, deposit_reference(deposit),
                deposit.sender, deposit.digest,
            ))
        if after is not None and after != cursor:
            moved = DepositsReadTo(originator_id=CURSOR_STREAM, originator_version=version + 1, at=self._clock.now(), cursor=after)
            try:
                await self._store.append([moved])
                self._cursor = (version + 1, after)
            except ConcurrencyConflict:
                log.info("deposit watcher: another process moved the cursor; reading it again")
                self._cursor = None
        return len(found)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
