"""The settler with the settlement view on SQLite and PostgreSQL: batches of every trade and withdrawal, a proof
per trade that verifies against its batch's root, a failed batch whose trades go into the next, a chain that does
not answer (never taken for a failure), and a settler killed between any two steps that resumes from the log
without paying twice; the view equals a rebuild from the log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from uuid import UUID

import pytest

from adapters.views.database import ViewDatabase
from adapters.views.settlement import SqlSettlementView
from adapters.views.users import SqlUsersView
from application.ports import BatchContent, ChainUnavailable, Effects, SignedTransaction
from application.projections.runner import ProjectionRunner
from application.projections.settlement import SettlementProjector
from application.projections.users import UsersProjector
from tests.support.engine_ends import engine_ends
from application.settlement.settler import Settler, trade_leaf
from domain.identity.events import UserRegistered
from domain.settlement.merkle import audit_path, root, root_from_path
from domain.shared.money import USD
from tests.contract.test_views import open_db  # noqa: F401  (the fixture: SQLite, then PostgreSQL)
from tests.unit.test_exchange import ALICE, BOB, CAROL, T0, TOKEN, Ids, Store, busy, engine, order
from tests.unit.test_settlement_batches import withdraw

OPERATOR = "0x" + "0e" * 32


def address(user: UUID) -> str:
    return "0x" + f"{user.int:064x}"


class Chain:
    """A chain in memory: runs a digest once, can be told to fail or to go silent (before or after running)."""

    is_local = True
    operator_address = OPERATOR

    def __init__(self) -> None:
        self.ran: dict[str, Effects] = {}
        self.contents: dict[str, BatchContent] = {}
        self.paid: list[tuple[str, int, str]] = []
        self.fail_next = 0
        self.silent: str | None = None  # "before": drops the request; "after": runs it, loses the answer
        self.checkpoint = 0

    async def prepare(self, content: BatchContent) -> SignedTransaction:
        tx = b"batch %d root %s" % (content.sequence, content.trades_root.hex().encode())
        digest = f"D{content.sequence}x{content.trades_root.hex()[:8]}"
        self.contents[digest] = content
        return SignedTransaction(tx, b"\x00" + bytes(96), digest, OPERATOR)

    async def execute(self, tx: SignedTransaction) -> Effects:
        if self.silent == "before":
            raise ChainUnavailable("connection refused")
        if tx.digest not in self.ran:
            self.checkpoint += 1
            if self.fail_next:
                self.fail_next -= 1
                self.ran[tx.digest] = Effects(tx.digest, False, "MoveAbort(vault::withdraw, 1)", self.checkpoint)
            else:
                self.ran[tx.digest] = Effects(tx.digest, True, "", self.checkpoint)
                self.paid += [(p.asset, p.amount, p.recipient) for p in self.contents[tx.digest].payouts]
        if self.silent == "after":
            raise ChainUnavailable("timed out waiting for effects")
        return self.ran[tx.digest]

    async def effects(self, digest: str) -> Effects | None:
        if self.silent == "before":
            raise ChainUnavailable("connection refused")
        return self.ran.get(digest)


@pytest.fixture
async def views(open_db: Callable[[], ViewDatabase]) -> AsyncIterator[tuple[SqlSettlementView, SqlUsersView]]:  # noqa: F811
    database = open_db()
    await database.migrate(["settlement", "users"])
    yield SqlSettlementView(database), SqlUsersView(database)
    await database.close()


async def setting(views, store: Store, exchange, chain: Chain) -> tuple[Settler, ProjectionRunner]:  # type: ignore[no-untyped-def]
    settlement, users = views
    runner = ProjectionRunner(store, [SettlementProjector(settlement), UsersProjector(users)], batch_size=7)

    async def caught_up(position: int) -> bool:
        await runner.catch_up()
        return True

    return Settler(*engine_ends(exchange, store), chain, settlement, caught_up, interval=0.01), runner


async def trading_with_a_withdrawal(views):  # type: ignore[no-untyped-def]
    """Three registered users who traded, one pending withdrawal, and a settler on the views."""
    store, ids, chain = Store(), Ids(), Chain()
    await registered(store)
    exchange = await engine(store)
    await busy(exchange, ids)
    await withdraw(exchange, ids)
    settler, runner = await setting(views, store, exchange, chain)
    return store, exchange, chain, settler, runner


async def registered(store: Store) -> None:
    for user in (ALICE, BOB, CAROL):
        await store.append([UserRegistered(originator_id=user, originator_version=1, at=T0, wallet_address=address(user))])


async def test_every_trade_of_a_confirmed_batch_has_a_proof_against_its_root_and_withdrawals_are_paid_once(views) -> None:  # type: ignore[no-untyped-def]
    store, ids, chain = Store(), Ids(), Chain()
    await registered(store)
    exchange = await engine(store)
    token = await busy(exchange, ids)
    paid_to = await withdraw(exchange, ids)
    settler, runner = await setting(views, store, exchange, chain)

    step = await settler.tick()
    assert step is not None and (step.sequence, step.status) == (1, "confirmed")
    assert await settler.tick() is None  # nothing waits
    assert chain.paid == [(USD, 1_000, "0x" + "b" * 64)] and paid_to not in exchange.state.withdrawals
    await runner.catch_up()
    settlement = views[0]
    batch = await settlement.batch(1)
    assert batch is not None and batch.status == "confirmed" and batch.trade_count == exchange.state.trade_count() > 0
    leaves = await settlement.leaves(1)
    encoded = [trade_leaf(leaf.trade, leaf.buyer_address, leaf.seller_address) for leaf in leaves]
    assert batch.trades_root == root(encoded) == chain.contents[batch.digest].trades_root
    for index, leaf in enumerate(encoded):
        assert root_from_path(leaf, index, len(encoded), audit_path(encoded, index)) == batch.trades_root
    ids_of = [leaf.trade.trade_id for leaf in leaves]
    assert await settlement.settled(ids_of) == {t: (1, batch.digest) for t in ids_of}

    await exchange.place(token, order(ids, CAROL, "buy", 1_100_000, TOKEN))
    step = await settler.tick()
    assert step is not None and (step.sequence, step.status) == (2, "confirmed")
    await runner.catch_up()
    assert len(await settlement.leaves(2)) == 1


async def test_a_failed_batch_releases_its_withdrawals_and_its_trades_are_proven_in_the_next(views) -> None:  # type: ignore[no-untyped-def]
    store, exchange, chain, settler, runner = await trading_with_a_withdrawal(views)
    held = exchange.state.ledger.held(BOB, USD)
    chain.fail_next = 1
    failed = await settler.tick()
    assert failed is not None and failed.status == "failed" and exchange.state.ledger.held(BOB, USD) == held - 1_100
    confirmed = await settler.tick()
    assert confirmed is not None and (confirmed.sequence, confirmed.status) == (2, "confirmed")
    await runner.catch_up()
    first, second = await views[0].batch(1), await views[0].batch(2)
    assert first is not None and second is not None
    assert (first.status, second.status, second.trade_count, second.withdrawal_count) == ("failed", "confirmed", first.trade_count, 0)
    assert await views[0].settled([leaf.trade.trade_id for leaf in await views[0].leaves(2)]) != {}
    assert chain.paid == []


@pytest.mark.parametrize("silent", ["before", "after"])
async def test_a_chain_that_does_not_answer_is_asked_again_never_failed_and_never_paid_twice(views, silent: str) -> None:  # type: ignore[no-untyped-def]
    store, exchange, chain, settler, runner = await trading_with_a_withdrawal(views)
    chain.silent = silent
    step = await settler.tick()
    if silent == "before":  # nothing known: the batch stays submitted, and the same bytes go again
        assert step is not None and step.status == "submitted" and chain.paid == []
        assert exchange.state.batch is not None and exchange.state.batch.status == "submitted"
        chain.silent = None
        step = await settler.tick()
    # it ran but the answer was lost: asked by its digest, the chain says it ran
    assert step is not None and step.status == "confirmed" and len(chain.paid) == 1 and len(chain.ran) == 1


@pytest.mark.parametrize("stop_after", ["opened", "built", "submitted"])
async def test_a_settler_killed_between_two_steps_resumes_from_the_log_and_pays_once(views, stop_after: str) -> None:  # type: ignore[no-untyped-def]
    store, exchange, chain, settler, runner = await trading_with_a_withdrawal(views)
    await exchange.open_batch()
    if stop_after != "opened":
        built = await settler._build(exchange.state.batch)  # type: ignore[arg-type]
        assert built is not None
        await exchange.record_built(1, *built)
    if stop_after == "submitted":
        await exchange.record_submitted(1)
        await chain.execute(SignedTransaction(*(getattr(exchange.state.batch.built, f) for f in ("tx_bytes", "signature", "digest", "operator_address"))))  # type: ignore[union-attr]
    await exchange.close()

    restarted = await engine(store)  # kill -9: all that is left is the log
    settler, runner = await setting(views, store, restarted, chain)
    step = await settler.tick()
    assert step is not None and (step.sequence, step.status) == (1, "confirmed")
    assert len(chain.paid) == 1 and len(chain.ran) == 1
    await runner.catch_up()
    live = (await views[0].batch(1), await views[0].leaves(1))
    await runner.rebuild()
    assert (await views[0].batch(1), await views[0].leaves(1)) == live


async def test_a_chain_that_refuses_every_batch_gets_them_ever_more_slowly(views) -> None:  # type: ignore[no-untyped-def]
    store, exchange, chain, settler, runner = await trading_with_a_withdrawal(views)
    chain.fail_next = 10**6
    settler.interval = 0.02
    running = asyncio.create_task(settler.run())
    await asyncio.sleep(1.0)  # at a fixed pause that would be ~50 batches; doubling: 1 + 2 + 4 + 8 + 16 + 32 ticks
    running.cancel()
    opened = exchange.state.next_batch - 1
    assert 2 <= opened <= 7, opened
    assert chain.paid == [] and len(chain.ran) == opened
