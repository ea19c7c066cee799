"""The local ledger as the chain port, on SQLite and on PostgreSQL: the same assertions on both.

Two ledgers opened on one database stand for two processes (or a restart): they
share the tables, so what one executed the other knows, and racing the same
bytes through both executes them once.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.chain.local import LocalLedgerChain
from adapters.sui.deployment import Deployment, UnknownAsset
from adapters.sui.keys import OperatorKey
from adapters.sui.signatures import transaction_signer
from adapters.sui.transactions import parse_batch_transaction, transaction_digest
from adapters.views.database import sqlalchemy_url
from application.ports import BatchContent, Chain, ChainUnavailable, Effects, Payout, SignedTransaction

EMPTY_ROOT = hashlib.sha256(b"").digest()
TOKEN = "0b5c61d4-6f0e-4f64-9a4c-64b3a1f1a001"
ALICE, BOB = "0x" + "a1" * 32, "0x" + "b2" * 32

Open = Callable[..., LocalLedgerChain]


@pytest.fixture(params=["sqlite", "postgres"])
async def open_chain(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Open]:
    """Opens ledgers on one database, each like a process of its own; all closed after the test."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'local-chain.sqlite3'}"
    else:
        url = sqlalchemy_url(request.getfixturevalue("postgres_url"))
    opened: list[LocalLedgerChain] = []

    def open_one(**options: Any) -> LocalLedgerChain:
        chain = LocalLedgerChain(url, **options)
        opened.append(chain)
        return chain

    yield open_one
    for chain in opened:
        await chain.close()


@pytest.fixture
async def chain(open_chain: Open) -> LocalLedgerChain:
    ledger = open_chain()
    await ledger.start()
    await ledger.record_deposit(ALICE, "USD", 1_000_000, "usd-funds")
    await ledger.record_deposit(BOB, TOKEN, 500, "token-funds")
    return ledger


def content(sequence: int, *payouts: Payout, trade_count: int = 0) -> BatchContent:
    root = EMPTY_ROOT if not trade_count else hashlib.sha256(b"trades %d" % sequence).digest()
    return BatchContent(sequence, root, trade_count, payouts)


def tampered(tx: SignedTransaction, **changes: Any) -> SignedTransaction:
    fields = {"tx_bytes": tx.tx_bytes, "signature": tx.signature, "digest": tx.digest, "operator_address": tx.operator_address}
    fields.update(changes)
    if "tx_bytes" in changes and "digest" not in changes:
        fields["digest"] = transaction_digest(fields["tx_bytes"])
    return SignedTransaction(**fields)


async def balances(chain: LocalLedgerChain) -> tuple[int, int]:
    return (await chain.vault("USD")).balance, (await chain.vault(TOKEN)).balance


async def gas_version(chain: LocalLedgerChain) -> int:
    prepared = await chain.prepare(content(999))
    return parse_batch_transaction(prepared.tx_bytes, chain.deployment).gas_payment[0].version


# ----- settlement -----


async def test_a_prepared_batch_executes_once_and_pays_its_withdrawals_from_the_vaults(chain: LocalLedgerChain) -> None:
    assert isinstance(chain, Chain) and chain.is_local
    tx = await chain.prepare(content(1, Payout("USD", 250_000, BOB), Payout(TOKEN, 40, ALICE), Payout("USD", 1, ALICE), trade_count=3))
    assert tx.operator_address == chain.operator_address
    assert tx.digest == transaction_digest(tx.tx_bytes)
    assert transaction_signer(tx.tx_bytes, tx.signature) == chain.operator_address
    parsed = parse_batch_transaction(tx.tx_bytes, chain.deployment)
    assert (parsed.sender, parsed.sequence, parsed.trade_count) == (chain.operator_address, 1, 3)
    assert await chain.effects(tx.digest) is None

    effects = await chain.execute(tx)

    assert effects == Effects(tx.digest, True, "", 1)
    assert await chain.effects(tx.digest) == effects
    assert await balances(chain) == (1_000_000 - 250_001, 460)
    vault = await chain.vault(TOKEN)
    assert (vault.object_id, vault.coin_type) == (chain.deployment.vault(TOKEN).object_id, chain.deployment.vault(TOKEN).coin_type)


async def test_a_batch_without_withdrawals_executes_and_pays_nothing(chain: LocalLedgerChain) -> None:
    tx = await chain.prepare(content(1, trade_count=1000))
    assert (await chain.execute(tx)).ok
    assert await balances(chain) == (1_000_000, 500)


async def test_the_same_bytes_executed_again_answer_the_same_effects_and_pay_once(chain: LocalLedgerChain) -> None:
    tx = await chain.prepare(content(1, Payout("USD", 100, BOB)))
    first = await chain.execute(tx)
    again = await chain.execute(tx)
    assert again == first and first.ok
    assert await balances(chain) == (999_900, 500)
    later = await chain.prepare(content(2))
    assert (await chain.execute(later)).checkpoint == 2  # the repeat took no checkpoint


async def test_each_execution_moves_the_gas_coin_to_a_new_version_and_digest(chain: LocalLedgerChain) -> None:
    one = await chain.prepare(content(1))
    await chain.execute(one)
    two = await chain.prepare(content(2))
    coins = [parse_batch_transaction(tx.tx_bytes, chain.deployment).gas_payment[0] for tx in (one, two)]
    assert coins[0].object_id == coins[1].object_id
    assert coins[1].version == coins[0].version + 1 and coins[1].digest != coins[0].digest


async def test_a_restart_keeps_the_operator_key_the_gas_coin_and_what_was_executed(open_chain: Open, chain: LocalLedgerChain) -> None:
    done = await chain.prepare(content(1, Payout("USD", 10, BOB)))
    await chain.execute(done)
    pending = await chain.prepare(content(2, Payout("USD", 20, BOB)))
    await chain.close()

    restarted = open_chain()
    await restarted.start()
    assert restarted.operator_address == chain.operator_address
    assert await restarted.effects(done.digest) == Effects(done.digest, True, "", 1)
    assert await restarted.execute(done) == Effects(done.digest, True, "", 1)
    assert await gas_version(restarted) == 2
    assert (await restarted.execute(pending)).ok  # signed before the restart, with the gas coin as it still is
    assert await balances(restarted) == (1_000_000 - 30, 500)
    assert len((await restarted.deposits(None, 10))[0]) == 2


async def test_a_configured_operator_key_of_each_scheme_signs_as_is(open_chain: Open) -> None:
    for scheme in ("ed25519", "secp256k1", "secp256r1"):
        key = OperatorKey.generate(scheme)
        ledger = open_chain(operator_key=key)
        assert ledger.operator_address == key.address  # known before start: nothing to make
        tx = await ledger.prepare(content(1))
        assert tx.signature[0] == key.scheme.flag and tx.signature == key.sign_transaction(tx.tx_bytes)
        assert (await ledger.execute(tx)).ok


async def test_two_processes_starting_at_once_make_and_keep_one_operator_key(open_chain: Open) -> None:
    first, second = open_chain(), open_chain()
    await asyncio.gather(first.start(), second.start())
    assert first.operator_address == second.operator_address


# ----- refused: never executed, nothing stored or paid, the gas coin unmoved -----


async def assert_refused(chain: LocalLedgerChain, tx: SignedTransaction, code: str) -> None:
    before, version = await balances(chain), await gas_version(chain)
    effects = await chain.execute(tx)
    assert not effects.ok and effects.error.startswith(code + ":"), effects
    assert effects.checkpoint is None
    assert await chain.effects(tx.digest) is None
    assert await balances(chain) == before
    assert await gas_version(chain) == version


async def test_a_tampered_signature_is_refused_and_the_genuine_one_still_executes(chain: LocalLedgerChain) -> None:
    tx = await chain.prepare(content(1, Payout("USD", 100, BOB)))
    broken = bytearray(tx.signature)
    broken[10] ^= 0x01
    await assert_refused(chain, tampered(tx, signature=bytes(broken)), "invalid_signature")
    await assert_refused(chain, tampered(tx, signature=b""), "invalid_signature")
    assert (await chain.execute(tx)).ok  # refusing it consumed nothing
    assert await balances(chain) == (999_900, 500)


async def test_a_signature_by_another_key_is_refused(chain: LocalLedgerChain) -> None:
    tx = await chain.prepare(content(1, Payout("USD", 100, BOB)))
    stranger = OperatorKey.generate("secp256k1")
    await assert_refused(chain, tampered(tx, signature=stranger.sign_transaction(tx.tx_bytes)), "wrong_signer")


async def test_changed_bytes_under_the_operators_signature_are_refused(chain: LocalLedgerChain) -> None:
    tx = await chain.prepare(content(1, Payout("USD", 100, BOB)))
    changed = tx.tx_bytes.replace((100).to_bytes(8, "little"), (900_000).to_bytes(8, "little"))
    assert changed != tx.tx_bytes
    await assert_refused(chain, tampered(tx, tx_bytes=changed), "invalid_signature")


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"garbage bytes", bytes(300)])
async def test_garbage_bytes_signed_by_the_operator_are_refused(chain: LocalLedgerChain, garbage: bytes) -> None:
    key = chain_key(chain)
    tx = SignedTransaction(garbage, key.sign_transaction(garbage), transaction_digest(garbage), key.address)
    await assert_refused(chain, tx, "malformed_transaction")


def chain_key(chain: LocalLedgerChain) -> OperatorKey:
    """The key the ledger made for itself (tests only: the ledger never hands its key out)."""
    key = chain._key
    assert key is not None
    return key


async def test_a_digest_that_is_not_the_bytes_digest_is_refused(chain: LocalLedgerChain) -> None:
    tx = await chain.prepare(content(1, Payout("USD", 100, BOB)))
    other = await chain.prepare(content(2))
    effects = await chain.execute(tampered(tx, digest=other.digest))
    assert not effects.ok and effects.error.startswith("digest_mismatch:")
    assert await chain.effects(other.digest) is None and await chain.effects(tx.digest) is None


async def test_a_transaction_paid_with_a_spent_gas_coin_is_refused_as_stale(chain: LocalLedgerChain) -> None:
    first = await chain.prepare(content(1, Payout("USD", 100, BOB)))
    second = await chain.prepare(content(2, Payout("USD", 200, BOB)))  # the same gas coin version
    assert (await chain.execute(first)).ok
    await assert_refused(chain, second, "stale_gas")
    assert await balances(chain) == (999_900, 500)
    assert (await chain.execute(await chain.prepare(content(2, Payout("USD", 200, BOB))))).ok


async def test_a_transaction_for_a_vault_of_another_deployment_is_refused(chain: LocalLedgerChain, open_chain: Open) -> None:
    other = Deployment("0x" + "77" * 32, {"USD": chain.deployment.vault("USD")})
    key = chain_key(chain)
    foreign = open_chain(operator_key=key, deployment=other)
    tx = await foreign.prepare(content(1, Payout("USD", 100, BOB)))
    await assert_refused(chain, tx, "malformed_transaction")


# ----- executed but failed: stored with a checkpoint, the gas coin moved, nothing paid -----


async def test_fail_next_fails_that_many_executions_and_is_shared_by_every_process(open_chain: Open, chain: LocalLedgerChain) -> None:
    other = open_chain()
    await chain.fail_next(2)
    one = await chain.prepare(content(1, Payout("USD", 100, BOB)))
    refused = tampered(one, signature=b"\x00" * 97)
    assert not (await other.execute(refused)).ok  # a refusal does not use a fault up
    failed = await other.execute(one)
    assert not failed.ok and failed.error.startswith("injected_fault:") and failed.checkpoint == 1
    assert await chain.effects(one.digest) == failed
    assert await chain.execute(one) == failed  # executed: failing again is its stored effects, not a second fault
    two = await chain.prepare(content(2, Payout("USD", 100, BOB)))  # the gas coin moved
    assert not (await chain.execute(two)).ok
    three = await chain.prepare(content(3, Payout("USD", 100, BOB)))
    assert await chain.execute(three) == Effects(three.digest, True, "", 3)
    assert await balances(chain) == (999_900, 500)


async def test_fail_next_zero_clears_the_faults_and_a_negative_count_is_refused(chain: LocalLedgerChain) -> None:
    await chain.fail_next(5)
    await chain.fail_next(0)
    assert (await chain.execute(await chain.prepare(content(1)))).ok
    with pytest.raises(ValueError):
        await chain.fail_next(-1)


async def test_a_batch_a_vault_cannot_pay_fails_whole_and_pays_nothing(chain: LocalLedgerChain) -> None:
    tx = await chain.prepare(content(1, Payout("USD", 100, BOB), Payout(TOKEN, 300, ALICE), Payout(TOKEN, 201, BOB)))
    effects = await chain.execute(tx)
    assert not effects.ok and effects.error.startswith("insufficient_vault_balance:") and TOKEN in effects.error
    assert effects.checkpoint == 1 and await chain.effects(tx.digest) == effects
    assert await balances(chain) == (1_000_000, 500)
    assert await gas_version(chain) == 2
    exact = await chain.prepare(content(2, Payout(TOKEN, 500, ALICE)))
    assert (await chain.execute(exact)).ok
    assert await balances(chain) == (1_000_000, 0)


async def test_a_vault_never_deposited_into_pays_nothing(open_chain: Open) -> None:
    empty = open_chain()
    tx = await empty.prepare(content(1, Payout("USD", 1, BOB)))
    assert (await empty.execute(tx)).error.startswith("insufficient_vault_balance:")


# ----- deposits, vaults, pools -----


async def test_a_deposit_is_recorded_once_per_reference(chain: LocalLedgerChain, open_chain: Open) -> None:
    digest = await chain.record_deposit(ALICE, "USD", 5, "ref-1")
    assert digest == chain.deposit_digest("ref-1") and digest.startswith("local:")
    assert await open_chain().record_deposit(BOB, TOKEN, 99, "ref-1") == digest  # the same reference: nothing more
    assert await balances(chain) == (1_000_005, 500)
    assert await chain.record_deposit(ALICE, "USD", 5, "ref-2") != digest


async def test_deposits_are_listed_in_order_from_a_cursor(chain: LocalLedgerChain) -> None:
    for i in range(5):
        await chain.record_deposit(ALICE if i % 2 else BOB, "USD", 10 + i, f"more-{i}")
    first, cursor = await chain.deposits(None, 3)
    assert [(d.asset, d.amount, d.sender) for d in first] == [("USD", 1_000_000, ALICE), (TOKEN, 500, BOB), ("USD", 10, BOB)]
    assert [d.digest for d in first] == [chain.deposit_digest(r) for r in ("usd-funds", "token-funds", "more-0")]
    rest, end = await chain.deposits(cursor, 100)
    assert [d.amount for d in rest] == [11, 12, 13, 14]
    assert all(d.event_sequence == 0 for d in first + rest)
    assert await chain.deposits(end, 10) == ([], end)
    assert (await chain.deposits(None, 100))[0] == first + rest


@pytest.mark.parametrize("cursor", ["", "-1", "abc", "1.5", "١"])
async def test_a_cursor_the_ledger_did_not_hand_out_is_refused(chain: LocalLedgerChain, cursor: str) -> None:
    with pytest.raises(ValueError):
        await chain.deposits(cursor, 10)


@pytest.mark.parametrize(
    ("address", "asset", "amount", "reference"),
    [
        ("0x1", "USD", 1, "r"),
        (ALICE, "EUR", 1, "r"),
        (ALICE, "USD", 0, "r"),
        (ALICE, "USD", -5, "r"),
        (ALICE, "USD", True, "r"),
        (ALICE, "USD", 1, ""),
        (ALICE, "USD", 2**63, "r"),
    ],
)
async def test_a_deposit_that_cannot_be_is_refused(chain: LocalLedgerChain, address: str, asset: str, amount: int, reference: str) -> None:
    with pytest.raises(ValueError):
        await chain.record_deposit(address, asset, amount, reference)
    assert len((await chain.deposits(None, 100))[0]) == 2


async def test_an_asset_without_a_vault_has_none_and_no_token_has_a_pool(chain: LocalLedgerChain) -> None:
    with pytest.raises(UnknownAsset):
        await chain.vault("EUR")
    assert await chain.pool(UUID(TOKEN)) is None
    assert (await chain.vault("0b5c61d4-6f0e-4f64-9a4c-64b3a1f1a0ff")).balance == 0
    assert chain.can_pay("USD") and chain.can_pay("0b5c61d4-6f0e-4f64-9a4c-64b3a1f1a0ff") and not chain.can_pay("EUR")


# ----- two processes -----


async def test_two_processes_racing_the_same_bytes_execute_them_once(open_chain: Open, chain: LocalLedgerChain) -> None:
    others = [open_chain() for _ in range(3)]
    for other in others:
        await other.start()
    tx = await chain.prepare(content(1, Payout("USD", 1_000, BOB)))
    results = await asyncio.gather(*(ledger.execute(tx) for ledger in [chain, *others] * 2))
    assert set(results) == {Effects(tx.digest, True, "", 1)}
    assert await balances(chain) == (999_000, 500)
    assert await gas_version(chain) == 2


async def test_two_batches_racing_for_one_gas_coin_execute_exactly_one(open_chain: Open, chain: LocalLedgerChain) -> None:
    other = open_chain()
    one = await chain.prepare(content(1, Payout("USD", 1, BOB)))
    two = await chain.prepare(content(1, Payout("USD", 2, BOB)))
    first, second = await asyncio.gather(chain.execute(one), other.execute(two))
    assert sorted([first.ok, second.ok]) == [False, True]
    assert "stale_gas" in (first.error + second.error)
    assert (await balances(chain))[0] in (999_999, 999_998)


async def test_two_processes_recording_one_reference_credit_once(open_chain: Open, chain: LocalLedgerChain) -> None:
    ledgers = [chain, *(open_chain() for _ in range(3))]
    digests = await asyncio.gather(*(ledger.record_deposit(ALICE, "USD", 7, "same") for ledger in ledgers))
    assert len(set(digests)) == 1
    assert await balances(chain) == (1_000_007, 500)


# ----- time and failure -----


async def test_a_submission_is_not_executed_before_the_confirmation_delay_has_passed(open_chain: Open) -> None:
    slow = open_chain(delay=0.5)
    tx = await slow.prepare(content(1))
    submitted = asyncio.create_task(slow.execute(tx))
    await asyncio.sleep(0)
    assert await slow.effects(tx.digest) is None
    assert (await submitted).ok
    assert (await slow.effects(tx.digest)) is not None


async def test_an_unreachable_database_is_chain_unavailable() -> None:
    ledger = LocalLedgerChain("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(ChainUnavailable):
            await ledger.prepare(content(1))
    finally:
        await ledger.close()


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError):
        LocalLedgerChain("sqlite+aiosqlite:///unused.sqlite3", delay=-1)
