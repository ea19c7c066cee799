"""The engine's side of settlement (SETTLEMENT.md): a batch takes every trade and pending withdrawal no batch
carries, one batch is live at a time, a confirmed batch pays its withdrawals in the same commit, a failed one
releases them and hands its trades to the next; all of it as the log says after a restart or from a snapshot."""

from __future__ import annotations

import hashlib

import pytest

from adapters.eventstore.snapshots import RecorderSnapshots
from application.live.market import CommittedMarket
from application.ports import SignedTransaction
from application.trading.exchange import Exchange
from domain.account.errors import WithdrawalNotCancellable
from domain.account.ledger import FEE_ACCOUNT
from domain.settlement.batch import MAX_PAYOUTS
from domain.settlement.errors import BatchNotLive
from domain.settlement.events import BatchOpened
from domain.shared.money import USD
from domain.token.errors import InvalidTokenParameters
from domain.token.token import default_parameters
from tests.unit.test_exchange import ALICE, BOB, CAROL, TOKEN, Clock, Ids, Store, busy, engine, order, state

ADDRESS = "0x" + "b" * 64


def digest_of(sequence: int) -> str:
    return f"DIGEST{sequence}"


def signed(sequence: int) -> SignedTransaction:
    return SignedTransaction(
        tx_bytes=b"tx-%d" % sequence, signature=b"\x00" + bytes(96), digest=digest_of(sequence), operator_address=ADDRESS
    )


async def settle(exchange: Exchange, ok: bool = True, confirm: bool = True) -> BatchOpened:
    """Open the next batch and take it through built and submitted; then confirm it (``ok``) or fail it."""
    opened = (await exchange.open_batch()).value
    assert isinstance(opened, BatchOpened)
    await exchange.record_built(opened.sequence, hashlib.sha256(b"root").digest(), signed(opened.sequence))
    await exchange.record_submitted(opened.sequence)
    if confirm:
        if ok:
            await exchange.confirm_batch(opened.sequence, digest_of(opened.sequence), 7)
        else:
            await exchange.fail_batch(opened.sequence, "MoveAbort in vault::withdraw")
    return opened


async def withdraw(exchange: Exchange, ids: Ids, owner=BOB, amount: int = 1_000, fee: int = 100):  # type: ignore[no-untyped-def]
    done = await exchange.withdraw(
        withdrawal_id=ids(), owner=owner, asset=USD, amount=amount, network_fee=fee, to_address=ADDRESS
    )
    return done.value.value.originator_id  # type: ignore[attr-defined]


async def test_nothing_to_settle_opens_no_batch() -> None:
    exchange = await engine()
    assert (await exchange.open_batch()).value is None
    assert exchange.state.next_batch == 1


async def test_a_batch_takes_every_trade_and_withdrawal_and_a_confirmed_one_pays_its_withdrawals() -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    token = await busy(exchange, ids)
    trades = exchange.state.trade_count()
    first = await withdraw(exchange, ids)
    opened = await settle(exchange, confirm=False)
    assert (opened.sequence, opened.trade_count, opened.trades_before, opened.withdrawals) == (1, trades, trades, (first,))
    assert (await exchange.open_batch()).value is None  # one live batch at a time
    later = await withdraw(exchange, ids, CAROL)  # waits for the next batch
    with pytest.raises(WithdrawalNotCancellable):
        await exchange.cancel_withdrawal(BOB, first)

    held = exchange.state.ledger.held(BOB, USD)
    fees = exchange.state.ledger.available(FEE_ACCOUNT, USD)
    await exchange.confirm_batch(1, digest_of(1), 7)
    ledger = exchange.state.ledger
    assert ledger.held(BOB, USD) == held - 1_100 and ledger.available(FEE_ACCOUNT, USD) == fees + 100
    assert first not in exchange.state.withdrawals and exchange.state.batch is None
    assert exchange.state.settled_trades == trades

    await exchange.place(token, order(ids, CAROL, "buy", 1_100_000, TOKEN))  # one more trade
    second = await settle(exchange, confirm=False)
    assert (second.sequence, second.trade_count, second.withdrawals) == (2, 1, (later,))


async def test_a_failed_batch_releases_its_withdrawals_and_its_trades_go_into_the_next() -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    await busy(exchange, ids)
    trades = exchange.state.trade_count()
    first = await withdraw(exchange, ids)
    available, held = exchange.state.ledger.available(BOB, USD), exchange.state.ledger.held(BOB, USD)
    await settle(exchange, ok=False)
    assert exchange.state.ledger.available(BOB, USD) == available + 1_100
    assert exchange.state.ledger.held(BOB, USD) == held - 1_100
    assert first not in exchange.state.withdrawals
    again = await settle(exchange, confirm=False)
    assert (again.sequence, again.trade_count, again.withdrawals) == (2, trades, ())


async def test_the_settlers_steps_are_refused_out_of_order_or_for_another_batch() -> None:
    ids = Ids()
    exchange = await engine()
    await busy(exchange, ids)
    opened = (await exchange.open_batch()).value
    assert isinstance(opened, BatchOpened)
    with pytest.raises(BatchNotLive):
        await exchange.confirm_batch(1, digest_of(1), None)  # not built
    with pytest.raises(BatchNotLive):
        await exchange.record_submitted(1)
    with pytest.raises(BatchNotLive):
        await exchange.record_built(2, bytes(32), signed(2))  # not the live one
    await exchange.record_built(1, bytes(32), signed(1))
    with pytest.raises(BatchNotLive):
        await exchange.record_built(1, bytes(32), signed(1))  # built once
    with pytest.raises(BatchNotLive):
        await exchange.confirm_batch(1, "SOMEOTHERDIGEST", None)
    await exchange.record_submitted(1)
    await exchange.record_submitted(1)  # a resubmission after a crash records nothing more
    await exchange.confirm_batch(1, digest_of(1), None)
    with pytest.raises(BatchNotLive):
        await exchange.fail_batch(1, "too late")
    assert (await exchange.open_batch()).value is None  # nothing waits: no batch


async def test_a_batch_pays_at_most_max_payouts_withdrawals_the_rest_wait_in_order() -> None:
    ids = Ids()
    exchange = await engine()
    await exchange.deposit(BOB, USD, 10**12, "d")
    waiting = [await withdraw(exchange, ids, amount=1, fee=0) for _ in range(MAX_PAYOUTS + 3)]
    first = await settle(exchange)
    second = await settle(exchange)
    assert list(first.withdrawals) == waiting[:MAX_PAYOUTS] and list(second.withdrawals) == waiting[MAX_PAYOUTS:]


@pytest.mark.parametrize("stop", ["open", "built", "submitted", "confirmed", "failed"])
async def test_a_restart_or_a_snapshot_at_any_step_restores_the_live_batch_as_it_was(stop: str) -> None:
    store, ids = Store(), Ids()
    exchange = await engine(store)
    await busy(exchange, ids)
    await withdraw(exchange, ids)
    opened = (await exchange.open_batch()).value
    assert isinstance(opened, BatchOpened)
    steps = ["built", "submitted", stop] if stop in ("confirmed", "failed") else ["built", "submitted"][: ["open", "built", "submitted"].index(stop)]
    for step in steps:
        match step:
            case "built":
                await exchange.record_built(1, bytes(32), signed(1))
            case "submitted":
                await exchange.record_submitted(1)
            case "confirmed":
                await exchange.confirm_batch(1, digest_of(1), 3)
            case "failed":
                await exchange.fail_batch(1, "refused")
    rebuilt = await engine(store)
    assert state(rebuilt) == state(exchange)
    market = CommittedMarket()
    market.advance([(r.position, r.event) for r in await store.read_log(0, 10_000)], complete=True)
    restored = CommittedMarket.from_snapshot(market.snapshot())
    assert restored.state.snapshot() == exchange.state.snapshot()
    live = rebuilt.state.batch
    assert (live.status if live else stop) == stop


class Mints:
    """The local ledger's side of a listing: the supply put into the token's vault, by reference."""

    is_local = True

    def __init__(self) -> None:
        self.recorded: dict[str, int] = {}

    async def record_deposit(self, address: str, asset: str, amount: int, reference: str) -> str:
        self.recorded.setdefault(reference, amount)
        return "local:" + reference


async def test_a_listing_puts_its_supply_in_the_ledgers_vault_once_and_a_refused_one_puts_nothing() -> None:
    store, chain = Store(), Mints()
    exchange = Exchange(store, RecorderSnapshots(store), Clock(), chain=chain)  # type: ignore[arg-type]
    await exchange.start(await store.claim_writer())
    listing = dict(name="Alice", creator_id=ALICE, creator_address="0x" + "a" * 64, initial_price=0, parameters=default_parameters())
    with pytest.raises(InvalidTokenParameters):
        await exchange.list_token(symbol="ALICE", total_supply=10**15, **listing)  # type: ignore[arg-type]
    assert chain.recorded == {}
    done = await exchange.list_token(symbol="ALICE", total_supply=1_000 * TOKEN, **listing)  # type: ignore[arg-type]
    assert chain.recorded == {f"listing:{done.value.token_id}": 1_000 * TOKEN}  # type: ignore[attr-defined]
