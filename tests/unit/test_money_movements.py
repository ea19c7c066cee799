"""Transfers and withdrawals: the domain's rules on a ledger, and the engine's keyed commands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

import pytest

from tests.unit.test_settlement_batches import digest_of, settle

from application.live.market import CommittedMarket
from application.trading.exchange import Repeatable, WithdrawalEnded
from domain.account.errors import (
    AssetNotFound,
    CannotTransferToSelf,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidIdempotencyKey,
    WithdrawalNotCancellable,
    WithdrawalNotFound,
)
from domain.account.ledger import FEE_ACCOUNT, Ledger
from domain.account.movements import Transfer, Withdrawal, check_key, transfer_fee
from domain.shared.money import USD
from tests.unit.test_exchange import ALICE, BOB, CAROL, Ids, Store, engine, listed

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def ledger_with(owner: UUID, asset: str, amount: int) -> Ledger:
    ledger = Ledger()
    ledger.credit(owner, asset, amount)
    return ledger


@pytest.mark.parametrize(("amount", "fee"), [(1, 1), (999, 1), (1000, 1), (1001, 2), (10_000_000, 10_000), (10_000_001, 10_001)])
def test_the_transfer_fee_is_a_tenth_of_a_percent_rounded_up_to_at_least_one_unit(amount: int, fee: int) -> None:
    assert transfer_fee(amount) == fee


def test_a_transfer_moves_amount_to_the_recipient_and_the_fee_to_the_fee_account_and_conserves_the_total() -> None:
    ledger = ledger_with(ALICE, USD, 10_010)
    made = Transfer(UUID(int=9), ledger).make(
        sender=ALICE, recipient=BOB, asset=USD, amount=10_000, from_address="a", to_address="b", at=T0
    )
    assert (made.amount, made.fee) == (10_000, 10)
    assert (ledger.available(ALICE, USD), ledger.available(BOB, USD), ledger.available(FEE_ACCOUNT, USD)) == (0, 10_000, 10)
    assert ledger.totals() == {USD: 10_010}


@pytest.mark.parametrize(
    ("recipient", "amount", "error"),
    [(ALICE, 1, CannotTransferToSelf), (BOB, 0, InvalidAmount), (BOB, -5, InvalidAmount), (BOB, 10**16, InvalidAmount),
     (BOB, 10_000, InsufficientFunds)],  # 10,000 + 10 > 10,009
)
def test_a_refused_transfer_records_nothing_and_moves_nothing(recipient: UUID, amount: int, error: type[Exception]) -> None:
    ledger = ledger_with(ALICE, USD, 10_009)
    transfer = Transfer(UUID(int=9), ledger)
    with pytest.raises(error):
        transfer.make(sender=ALICE, recipient=recipient, asset=USD, amount=amount, from_address="", to_address="", at=T0)
    assert transfer.collect_events() == [] and ledger.state() == [(ALICE, USD, 10_009, 0)]


def test_a_withdrawal_holds_amount_and_fee_then_completes_paying_the_fee_or_is_cancelled_releasing_the_hold() -> None:
    ledger = ledger_with(ALICE, USD, 1_000)
    paid = Withdrawal(UUID(int=1), ledger)
    paid.request(owner=ALICE, asset=USD, amount=500, network_fee=100, to_address="0x", at=T0)
    assert (ledger.available(ALICE, USD), ledger.held(ALICE, USD)) == (400, 600)
    paid.complete("digest", T0)
    assert (ledger.available(ALICE, USD), ledger.held(ALICE, USD), ledger.available(FEE_ACCOUNT, USD)) == (400, 0, 100)
    assert ledger.totals() == {USD: 500}  # 500 left the exchange; the fee stayed
    taken_back = Withdrawal(UUID(int=2), ledger)
    taken_back.request(owner=ALICE, asset=USD, amount=300, network_fee=100, to_address="0x", at=T0)
    taken_back.cancel(T0)
    assert (ledger.available(ALICE, USD), ledger.held(ALICE, USD)) == (400, 0)
    for ended in (paid, taken_back):
        with pytest.raises(WithdrawalNotCancellable):
            ended.cancel(T0)
        with pytest.raises(WithdrawalNotCancellable):
            ended.complete("again", T0)
    with pytest.raises(InsufficientFunds):
        Withdrawal(UUID(int=3), ledger).request(owner=ALICE, asset=USD, amount=301, network_fee=100, to_address="0x", at=T0)


def test_a_repeat_of_a_keyed_command_answers_the_first_when_it_asks_the_same_and_is_refused_otherwise() -> None:
    ledger = ledger_with(ALICE, USD, 10**6)
    transfer = Transfer(UUID(int=9), ledger)
    ask = dict(sender=ALICE, recipient=BOB, asset=USD, amount=1_000, from_address="", to_address="", at=T0)
    first = transfer.make(**ask)  # type: ignore[arg-type]
    again = Transfer.replay(transfer.id, transfer.collect_events())
    assert again.make(**ask) == first and again.collect_events() == []  # type: ignore[arg-type]
    with pytest.raises(IdempotencyKeyReused):
        again.make(**{**ask, "amount": 2_000})  # type: ignore[arg-type]
    assert ledger.available(BOB, USD) == 1_000


@pytest.mark.parametrize("key", ["", " x", "x ", "a" * 101, "bad\x00key"])
def test_an_idempotency_key_is_1_to_100_characters_without_surrounding_spaces_or_control_characters(key: str) -> None:
    with pytest.raises(Exception) as refused:
        check_key(key)
    assert getattr(refused.value, "code", None) in (InvalidIdempotencyKey.code, "invalid_text")


async def test_the_same_key_sent_twice_at_once_moves_money_once_and_both_get_the_first_transfer() -> None:
    exchange = await engine()
    await exchange.deposit(ALICE, USD, 10**6, "d1")
    ask = dict(sender=ALICE, recipient=BOB, asset=USD, amount=1_000, from_address="a", to_address="b", key="k1")
    ids = Ids()
    one, two = await asyncio.gather(
        exchange.transfer(transfer_id=ids(), **ask),  # type: ignore[arg-type]
        exchange.transfer(transfer_id=ids(), **ask),  # type: ignore[arg-type]
    )
    first, second = one.value, two.value
    assert isinstance(first, Repeatable) and isinstance(second, Repeatable)
    assert first.value == second.value and (first.repeated, second.repeated) == (False, True)
    assert exchange.state.ledger.available(BOB, USD) == 1_000
    assert exchange.state.ledger.available(ALICE, USD) == 10**6 - 1_001
    # Another user's same key is another transfer.
    await exchange.deposit(CAROL, USD, 10**6, "d2")
    other = await exchange.transfer(transfer_id=ids(), **{**ask, "sender": CAROL})  # type: ignore[arg-type]
    assert other.value.repeated is False and exchange.state.ledger.available(BOB, USD) == 2_000  # type: ignore[attr-defined]


async def test_pending_withdrawals_survive_a_restart_and_a_snapshot_and_end_once() -> None:
    store = Store()
    exchange = await engine(store)
    token = await listed(exchange)
    await exchange.deposit(ALICE, USD, 10**6, "d1")
    ids = Ids()
    kept = await exchange.withdraw(
        withdrawal_id=ids(), owner=ALICE, asset=USD, amount=1_000, network_fee=100, to_address="0x1", key="w1"
    )
    cancelled = await exchange.withdraw(
        withdrawal_id=ids(), owner=ALICE, asset=str(token), amount=5, network_fee=1, to_address="0x1"
    )
    kept_id = kept.value.value.originator_id  # type: ignore[attr-defined]
    cancelled_id = cancelled.value.value.originator_id  # type: ignore[attr-defined]
    with pytest.raises(AssetNotFound):
        await exchange.withdraw(withdrawal_id=ids(), owner=ALICE, asset="NOPE", amount=1, network_fee=0, to_address="0x")

    # The committed market read from the log, snapshotted and restored, holds the same pending withdrawals.
    market = CommittedMarket()
    market.advance([(r.position, r.event) for r in await store.read_log(0, 1000)], complete=True)
    restored = CommittedMarket.from_snapshot(market.snapshot())
    assert set(restored.state.withdrawals) == set(exchange.state.withdrawals) == {kept_id, cancelled_id}
    assert restored.state.ledger.state() == exchange.state.ledger.state()

    await exchange.close()
    again = await engine(store)  # a restart: rebuilt from the log
    assert again.state.ledger.held(ALICE, USD) == 1_100
    with pytest.raises(WithdrawalNotFound):
        await again.cancel_withdrawal(BOB, kept_id)
    done = await again.cancel_withdrawal(ALICE, cancelled_id)
    assert isinstance(done.value, WithdrawalEnded) and done.value.status == "cancelled"
    with pytest.raises(WithdrawalNotCancellable):
        await again.cancel_withdrawal(ALICE, cancelled_id)
    opened = await settle(again, confirm=False)  # a batch carries it: no longer cancellable, paid when confirmed
    assert opened.withdrawals == (kept_id,)
    with pytest.raises(WithdrawalNotCancellable):
        await again.cancel_withdrawal(ALICE, kept_id)
    await again.confirm_batch(opened.sequence, digest_of(opened.sequence), None)
    assert kept_id not in again.state.withdrawals
    with pytest.raises(WithdrawalNotCancellable):
        await again.cancel_withdrawal(ALICE, kept_id)
    ledger = again.state.ledger
    assert (ledger.held(ALICE, USD), ledger.available(ALICE, USD), ledger.available(FEE_ACCOUNT, USD)) == (0, 10**6 - 1_100, 100)
    # A retry of the key after the withdrawal ended answers the first request and holds nothing again.
    retry = await again.withdraw(
        withdrawal_id=ids(), owner=ALICE, asset=USD, amount=1_000, network_fee=100, to_address="0x1", key="w1"
    )
    assert retry.value.repeated and retry.value.value.originator_id == kept_id  # type: ignore[attr-defined]
    assert ledger.held(ALICE, USD) == 0
    await again.close()
