"""The chain port's Sui adapter against a fake Sui full node speaking sui.rpc.v2 gRPC on 127.0.0.1.

The fake node (tests/fakes/sui_node.py, sui_ledger.py) checks what it receives
as a node does (pysui's BCS parse, the Sui digest, the operator's Ed25519
signature, gas versions) and answers with pysui's own generated messages, so
what passes here is the adapter's traffic as pysui puts it on the wire.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest
from pysui.sui.sui_bcs import bcs



from adapters.sui.errors import DepositHistoryPruned, GasUnavailable, MalformedAnswer  # noqa: E402
from adapters.sui.keys import OperatorKey  # noqa: E402
from adapters.sui.node import DepositsComeFromTheChain, SuiChain, SuiSettings  # noqa: E402
from adapters.sui.signer import Ed25519Wallet  # noqa: E402
from adapters.sui.deployment import Deployment, VaultConfig  # noqa: E402
from adapters.sui.transactions import transaction_digest  # noqa: E402
from application.ports import (  # noqa: E402
    BatchContent,
    Chain,
    ChainDeposit,
    ChainUnavailable,
    ObjectRef,
    Payout,
    SignedTransaction,
)
from tests.fakes.sui_node import FakeSuiNode  # noqa: E402

PACKAGE = "0x" + "a1" * 32
USD_TYPE = "0x" + "b2" * 32 + "::usdc::USDC"
TOKEN = UUID("5d6f0a4e-8c1b-4f7e-9a3d-2b1c0e9f8a7b")
TOKEN_TYPE = "0x" + "c3" * 32 + "::creator::CREATOR"
USD_VAULT = "0x" + "d4" * 32
TOKEN_VAULT = "0x" + "e5" * 32
POOL = "0x" + "f6" * 32
KEY = OperatorKey.parse(Ed25519Wallet(bytes(range(32))).private_key)
ALICE = "0x" + "01" * 32
BOB = "0x" + "02" * 32


def u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def deployment(*, package_id: str = PACKAGE, usd_vault: str = USD_VAULT, usd_shared_version: int = 3) -> Deployment:
    return Deployment(
        package=package_id,
        vaults={
            "USD": VaultConfig(object_id=usd_vault, initial_shared_version=usd_shared_version, coin_type=USD_TYPE),
            str(TOKEN): VaultConfig(object_id=TOKEN_VAULT, initial_shared_version=4, coin_type=TOKEN_TYPE),
        },
    )


def settings(node: FakeSuiNode, **overrides: object) -> SuiSettings:
    values: dict[str, object] = dict(
        url=node.url,
        operator_key=KEY,
        deployment=deployment(),
        gas_budget=10_000_000,
        pools={TOKEN: POOL},
        rpc_timeout=2.0,
        execute_timeout=2.0,
        confirm_timeout=2.0,
        poll_interval=0.01,
    )
    values.update(overrides)
    return SuiSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def node():
    node = FakeSuiNode()
    ledger = node.ledger
    ledger.add_package(PACKAGE)
    ledger.add_shared(USD_VAULT, f"{PACKAGE}::vault::Vault<{USD_TYPE}>", u64(1_000_000), initial_version=3)
    ledger.add_shared(TOKEN_VAULT, f"{PACKAGE}::vault::Vault<{TOKEN_TYPE}>", u64(500), initial_version=4)
    ledger.add_shared(POOL, f"{PACKAGE}::pool::Pool<{TOKEN_TYPE}>", u64(7_000) + u64(123_456), initial_version=5)
    ledger.add_coin(KEY.address, 900_000_000)
    ledger.add_coin(KEY.address, 2_000_000_000)
    ledger.add_coin(ALICE, 5_000_000_000)
    await node.start()
    yield node
    await node.stop()


@pytest.fixture
async def chain(node: FakeSuiNode):
    chain = SuiChain(settings(node))
    yield chain
    await chain.close()


def batch(sequence: int = 1, *payouts: Payout) -> BatchContent:
    return BatchContent(sequence=sequence, trades_root=bytes(range(32)), trade_count=3, payouts=tuple(payouts))


def gas_data(tx: SignedTransaction) -> bcs.GasData:
    return bcs.TransactionData.deserialize(tx.tx_bytes).value.GasData


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


# ----- the port's shape -----


async def test_the_sui_chain_is_a_chain_that_is_not_local_and_signs_as_the_operator(chain: SuiChain) -> None:
    assert isinstance(chain, Chain)
    assert chain.is_local is False
    assert chain.operator_address == KEY.address


def test_the_settings_come_from_the_environment_with_defaults_for_the_rest() -> None:
    environ = {
        "PEOPLECOIN_SUI_URL": "https://fullnode.testnet.sui.io",
        "PEOPLECOIN_SUI_OPERATOR_KEY": Ed25519Wallet(bytes(range(32))).private_key,
        "PEOPLECOIN_SUI_POOLS": json.dumps({str(TOKEN): POOL}),
        "PEOPLECOIN_SUI_GAS_BUDGET": "123",
        "PEOPLECOIN_SUI_CONFIRM_TIMEOUT": "5",
    }
    read = SuiSettings.from_env(environ, deployment=deployment())
    assert read.operator_key.address == KEY.address
    assert (read.url, read.pools, read.gas_budget, read.gas_object_id) == (environ["PEOPLECOIN_SUI_URL"], {TOKEN: POOL}, 123, None)
    assert (read.confirm_timeout, read.rpc_timeout, read.deposits_from_checkpoint) == (5.0, 10.0, 0)


async def test_the_client_leaves_the_users_home_alone(
    node: FakeSuiNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    async with SuiChain(settings(node)) as chain:
        await chain.vault("USD")
    assert not home.exists()


async def test_recording_a_deposit_by_hand_is_refused_on_sui(chain: SuiChain) -> None:
    with pytest.raises(DepositsComeFromTheChain):
        await chain.record_deposit(ALICE, "USD", 10, "ref-1")


# ----- prepare -----


async def test_prepare_pays_with_the_operators_largest_coin_at_the_current_reference_gas_price(
    node: FakeSuiNode, chain: SuiChain
) -> None:
    node.ledger.reference_gas_price = 1_234
    largest = max((o for o in node.ledger.objects.values() if o.owner == KEY.address), key=lambda o: o.u64_after_id)

    tx = await chain.prepare(batch(7, Payout("USD", 250, BOB)))

    gas = gas_data(tx)
    assert [(r.ObjectID.to_address_str(), r.SequenceNumber, r.ObjectDigest.to_digest_str()) for r in gas.Payment] == [
        (largest.object_id, largest.version, largest.digest)
    ]
    assert (gas.Owner.to_address_str(), gas.Price, gas.Budget) == (KEY.address, 1_234, 10_000_000)
    assert tx.digest == transaction_digest(tx.tx_bytes)
    assert tx.operator_address == KEY.address
    assert tx.signature == KEY.sign_transaction(tx.tx_bytes)
    assert {"ListOwnedObjects", "GetEpoch"} <= set(node.calls)


async def test_prepare_finds_the_largest_coin_across_pages(node: FakeSuiNode, chain: SuiChain) -> None:
    node.page_size_cap = 1
    biggest = node.ledger.add_coin(KEY.address, 3_000_000_000)

    tx = await chain.prepare(batch())

    assert gas_data(tx).Payment[0].ObjectID.to_address_str() == biggest.object_id
    assert node.calls.count("ListOwnedObjects") == 3


async def test_prepare_pays_with_the_configured_gas_coin_when_there_is_one(node: FakeSuiNode) -> None:
    small = min((o for o in node.ledger.objects.values() if o.owner == KEY.address), key=lambda o: o.u64_after_id)
    async with SuiChain(settings(node, gas_object_id=small.object_id)) as chain:
        tx = await chain.prepare(batch())
    assert gas_data(tx).Payment[0].ObjectID.to_address_str() == small.object_id


async def test_a_gas_coin_of_someone_else_or_too_small_is_refused_with_a_clear_error(node: FakeSuiNode) -> None:
    alices = next(o for o in node.ledger.objects.values() if o.owner == ALICE)
    async with SuiChain(settings(node, gas_object_id=alices.object_id)) as chain:
        with pytest.raises(GasUnavailable, match="not owned by the operator"):
            await chain.prepare(batch())
    async with SuiChain(settings(node, gas_budget=10**12)) as chain:
        with pytest.raises(GasUnavailable, match="gas budget"):
            await chain.prepare(batch())


# ----- execute and effects -----


async def test_executing_confirms_in_a_checkpoint_and_the_next_batch_pays_with_the_moved_gas_coin(
    node: FakeSuiNode, chain: SuiChain
) -> None:
    first = await chain.prepare(batch(1, Payout("USD", 250, BOB), Payout(str(TOKEN), 20, ALICE), Payout("USD", 5, ALICE)))
    effects = await chain.execute(first)

    assert (effects.digest, effects.ok, effects.error) == (first.digest, True, "")
    assert effects.checkpoint == node.ledger.transactions[first.digest].checkpoint is not None
    assert (await chain.vault("USD")).balance == 1_000_000 - 255
    assert (await chain.vault(str(TOKEN))).balance == 500 - 20

    second = await chain.prepare(batch(2))
    assert gas_data(second).Payment[0].SequenceNumber > gas_data(first).Payment[0].SequenceNumber
    assert (await chain.execute(second)).ok
    assert node.ledger.executions == 2
    assert await chain.effects(first.digest) == effects


async def test_a_transaction_executed_before_is_answered_again_and_not_executed_twice(
    node: FakeSuiNode, chain: SuiChain
) -> None:
    tx = await chain.prepare(batch(1, Payout("USD", 100, BOB)))
    first = await chain.execute(tx)
    again = await chain.execute(tx)
    assert again == first
    assert node.ledger.executions == 1
    assert (await chain.vault("USD")).balance == 1_000_000 - 100


async def test_a_repeat_refused_for_its_own_spent_gas_is_answered_with_the_stored_effects(
    node: FakeSuiNode, chain: SuiChain
) -> None:
    tx = await chain.prepare(batch(1))
    first = await chain.execute(tx)
    node.ledger.answer_repeats = False
    assert await chain.execute(tx) == first
    assert node.ledger.executions == 1


async def test_failed_effects_are_reported_with_the_chains_reason(node: FakeSuiNode, chain: SuiChain) -> None:
    node.ledger.fail_next = 1
    injected = await chain.execute(await chain.prepare(batch(1)))
    assert not injected.ok and "MOVE_ABORT" in injected.error and injected.checkpoint is not None

    too_much = await chain.execute(await chain.prepare(batch(2, Payout(str(TOKEN), 501, ALICE))))
    assert not too_much.ok and "vault::withdraw aborted" in too_much.error
    assert (await chain.vault(str(TOKEN))).balance == 500
    assert node.ledger.executions == 2  # a failed transaction still ran (and paid for gas)


async def test_a_transaction_the_node_refuses_outright_answers_failed_effects(node: FakeSuiNode, chain: SuiChain) -> None:
    tx = await chain.prepare(batch(1))
    bad_signature = dataclasses.replace(tx, signature=tx.signature[:10] + bytes([tx.signature[10] ^ 1]) + tx.signature[11:])
    refused = await chain.execute(bad_signature)
    assert not refused.ok and "Invalid user signature" in refused.error

    garbage = SignedTransaction(tx_bytes=b"\x00\x01junk", signature=tx.signature, digest=transaction_digest(b"\x00\x01junk"),
                                operator_address=KEY.address)
    assert "invalid transaction" in (await chain.execute(garbage)).error

    stale = await chain.prepare(batch(2))  # pays with the same gas coin version as tx
    assert (await chain.execute(tx)).ok
    answer = await chain.execute(stale)
    assert not answer.ok and "not available for consumption" in answer.error
    assert node.ledger.executions == 1


@pytest.mark.parametrize(
    ("tweak", "reason"),
    [
        ("another signer", "is not the sender"),
        ("price under the reference", "under reference gas price"),
        ("budget over the coin", "lower than the needed amount"),
        ("unknown package", "Dependent package not found"),
        ("wrong shared version", "was shared at version"),
    ],
)
async def test_the_node_refuses_what_a_node_refuses_and_that_is_failed_effects(
    node: FakeSuiNode, chain: SuiChain, tweak: str, reason: str
) -> None:
    from adapters.sui.transactions import build_batch_transaction

    good = await chain.prepare(batch(1, Payout("USD", 1, BOB)))
    gas = gas_data(good).Payment[0]
    ref = ObjectRef(gas.ObjectID.to_address_str(), gas.SequenceNumber, gas.ObjectDigest.to_digest_str())
    signer, price, budget, where = KEY, node.ledger.reference_gas_price, 10_000_000, deployment()
    if tweak == "another signer":
        signer = OperatorKey.parse(Ed25519Wallet(bytes(32)).private_key)
    elif tweak == "price under the reference":
        price -= 1
    elif tweak == "budget over the coin":
        budget = 10**15
    elif tweak == "unknown package":
        where = deployment(package_id="0x" + "99" * 32)
    else:
        where = deployment(usd_shared_version=4)
    tx_bytes = build_batch_transaction(batch(1, Payout("USD", 1, BOB)), where, KEY.address, [ref], price, budget)
    tx = SignedTransaction(tx_bytes, signer.sign_transaction(tx_bytes), transaction_digest(tx_bytes), KEY.address)

    effects = await chain.execute(tx)

    assert not effects.ok and reason in effects.error and effects.checkpoint is None
    assert node.ledger.executions == 0 and await chain.effects(tx.digest) is None


async def test_the_effects_of_a_digest_the_chain_never_saw_are_none(chain: SuiChain) -> None:
    assert await chain.effects(transaction_digest(b"never sent")) is None


async def test_execute_waits_until_the_transaction_is_in_a_checkpoint(node: FakeSuiNode, chain: SuiChain) -> None:
    node.hold_checkpoints = True
    tx = await chain.prepare(batch(1))
    waiting = asyncio.create_task(chain.execute(tx))
    await until(lambda: tx.digest in node.ledger.transactions and node.calls.count("GetTransaction") >= 2)
    assert not waiting.done()
    sealed = node.seal_checkpoint()
    assert (await waiting).checkpoint == sealed


async def test_no_checkpoint_before_the_time_out_is_unavailable_and_effects_then_say_executed(node: FakeSuiNode) -> None:
    node.hold_checkpoints = True
    async with SuiChain(settings(node, confirm_timeout=0.2)) as chain:
        tx = await chain.prepare(batch(1))
        with pytest.raises(ChainUnavailable, match="in no checkpoint yet"):
            await chain.execute(tx)
        pending = await chain.effects(tx.digest)
        assert pending is not None and pending.ok and pending.checkpoint is None
        sealed = node.seal_checkpoint()
        assert (await chain.execute(tx)).checkpoint == sealed
    assert node.ledger.executions == 1


# ----- no answer: the outcome is unknown, never failed -----


async def test_a_reply_lost_after_execution_is_unavailable_and_effects_find_the_transaction(
    node: FakeSuiNode, chain: SuiChain
) -> None:
    tx = await chain.prepare(batch(1, Payout("USD", 40, BOB)))
    node.lose_next_reply = 1
    with pytest.raises(ChainUnavailable):
        await chain.execute(tx)
    found = await chain.effects(tx.digest)
    assert found is not None and found.ok
    assert await chain.execute(tx) == found
    assert node.ledger.executions == 1
    assert (await chain.vault("USD")).balance == 1_000_000 - 40


async def test_a_node_that_answers_after_the_time_out_is_unavailable_and_the_effects_are_found_later(
    node: FakeSuiNode,
) -> None:
    async with SuiChain(settings(node, execute_timeout=0.3)) as chain:
        tx = await chain.prepare(batch(1))
        node.stall_after = 30.0
        with pytest.raises(ChainUnavailable):
            await chain.execute(tx)
        found = await chain.effects(tx.digest)
        assert found is not None and found.ok and found.checkpoint is not None
        assert node.ledger.executions == 1


async def test_a_node_that_stalls_before_executing_is_unavailable_and_the_same_bytes_run_once_later(
    node: FakeSuiNode,
) -> None:
    async with SuiChain(settings(node, execute_timeout=0.3)) as chain:
        tx = await chain.prepare(batch(1))
        node.stall_before = 30.0
        with pytest.raises(ChainUnavailable):
            await chain.execute(tx)
        assert await chain.effects(tx.digest) is None
        assert (await chain.execute(tx)).ok
        assert node.ledger.executions == 1


async def test_a_dropped_stream_or_an_overloaded_node_is_unavailable(node: FakeSuiNode, chain: SuiChain) -> None:
    tx = await chain.prepare(batch(1))
    node.drop_next = 1
    with pytest.raises(ChainUnavailable):
        await chain.execute(tx)
    node.unavailable_next = 1
    with pytest.raises(ChainUnavailable, match="UNAVAILABLE"):
        await chain.execute(tx)
    assert node.ledger.executions == 0
    assert (await chain.execute(tx)).ok


async def test_a_node_that_is_down_is_unavailable_for_every_call(node: FakeSuiNode, chain: SuiChain) -> None:
    tx = await chain.prepare(batch(1))
    await node.stop()
    for call in (
        chain.prepare(batch(2)),
        chain.execute(tx),
        chain.effects(tx.digest),
        chain.vault("USD"),
        chain.pool(TOKEN),
        chain.deposits(None, 10),
    ):
        with pytest.raises(ChainUnavailable):
            await call


async def test_effects_without_a_status_are_unavailable_when_executing_and_malformed_when_asked(
    node: FakeSuiNode, chain: SuiChain
) -> None:
    tx = await chain.prepare(batch(1))
    node.hostile_next = 100
    with pytest.raises(ChainUnavailable, match="outcome unknown"):
        await chain.execute(tx)
    with pytest.raises(MalformedAnswer, match="no effects status"):
        await chain.effects(tx.digest)


# ----- vaults and pools -----


async def test_the_vault_and_pool_are_read_from_their_objects(chain: SuiChain) -> None:
    usd = await chain.vault("USD")
    assert (usd.asset, usd.object_id, usd.coin_type, usd.balance) == ("USD", USD_VAULT, USD_TYPE, 1_000_000)
    pool = await chain.pool(TOKEN)
    assert pool is not None and (pool.object_id, pool.token_reserve, pool.usd_reserve) == (POOL, 7_000, 123_456)
    assert await chain.pool(UUID(int=1)) is None
    assert chain.can_pay("USD") and chain.can_pay(str(TOKEN)) and not chain.can_pay(str(UUID(int=1)))


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        (b"", "0 bytes"),
        (bytes.fromhex(USD_VAULT[2:]) + u64(1) + b"\x00", "41 bytes"),
        (bytes(32) + u64(1), "carry the id"),
    ],
)
async def test_malformed_vault_contents_are_a_clear_error(
    node: FakeSuiNode, chain: SuiChain, contents: bytes, message: str
) -> None:
    node.corrupt(USD_VAULT, contents)
    with pytest.raises(MalformedAnswer, match=message):
        await chain.vault("USD")


async def test_a_vault_of_another_type_or_a_short_pool_is_a_clear_error(node: FakeSuiNode) -> None:
    async with SuiChain(settings(node, deployment=deployment(usd_vault=TOKEN_VAULT))) as chain:
        with pytest.raises(MalformedAnswer, match="not a vault::Vault"):
            await chain.vault("USD")
    node.corrupt(POOL, bytes.fromhex(POOL[2:]) + u64(1))
    async with SuiChain(settings(node)) as chain:
        with pytest.raises(MalformedAnswer, match="pool"):
            await chain.pool(TOKEN)


# ----- deposits -----


def deposited(coin_type: str, sender: str, amount: int, package: str = PACKAGE) -> tuple[str, bytes]:
    return f"{package}::vault::Deposited<{coin_type}>", bytes.fromhex(sender[2:]) + u64(amount)


async def test_deposits_are_read_by_cursor_exactly_once_across_a_restart(node: FakeSuiNode) -> None:
    ledger = node.ledger
    d1 = ledger.record_events(ALICE, [deposited(USD_TYPE, ALICE, 1_000)], credit={USD_VAULT: 1_000})
    node.seal_checkpoint()
    node.seal_checkpoint()  # an empty checkpoint
    d2 = ledger.record_events(BOB, [deposited(TOKEN_TYPE, BOB, 7), ("0x2::coin::Whatever", b"x"),
                                    deposited(USD_TYPE, BOB, 30)])
    d3 = ledger.record_events(ALICE, [deposited("0x99::fake::FAKE", ALICE, 5)])  # a coin type we do not hold
    d4 = ledger.record_events(ALICE, [deposited(USD_TYPE, ALICE, 9, package="0x" + "77" * 32)])  # another package
    node.seal_checkpoint()
    expected = [
        ChainDeposit(d1, 0, ALICE, "USD", 1_000),
        ChainDeposit(d2, 0, BOB, str(TOKEN), 7),
        ChainDeposit(d2, 2, BOB, "USD", 30),
    ]

    seen: list[ChainDeposit] = []
    async with SuiChain(settings(node)) as chain:
        page, cursor = await chain.deposits(None, 2)
        seen += page
    assert page == expected[:2]
    async with SuiChain(settings(node)) as restarted:  # a new process; the caller kept the cursor
        page, cursor = await restarted.deposits(cursor, 10)
        seen += page
        assert restarted.skipped_deposits == 1
        assert (await restarted.deposits(cursor, 10)) == ([], cursor)

        d5 = ledger.record_events(BOB, [deposited(USD_TYPE, BOB, 55)])
        node.seal_checkpoint()
        page, cursor = await restarted.deposits(cursor, 10)
        assert page == [ChainDeposit(d5, 0, BOB, "USD", 55)]
    assert seen == expected
    assert {d3, d4}.isdisjoint(d.digest for d in seen)


async def test_deposits_scan_a_bounded_number_of_checkpoints_per_call_and_start_where_configured(
    node: FakeSuiNode,
) -> None:
    early = node.ledger.record_events(ALICE, [deposited(USD_TYPE, ALICE, 1)])
    node.seal_checkpoint()
    for _ in range(5):
        node.seal_checkpoint()
    late = node.ledger.record_events(ALICE, [deposited(USD_TYPE, ALICE, 2)])
    node.seal_checkpoint()
    async with SuiChain(settings(node, checkpoints_per_scan=3, deposits_from_checkpoint=2)) as chain:
        found: list[ChainDeposit] = []
        cursor = None
        for _ in range(4):
            page, cursor = await chain.deposits(cursor, 10)
            found += page
    assert [d.digest for d in found] == [late]
    assert early not in [d.digest for d in found]


async def test_a_cursor_into_pruned_history_or_not_ours_is_refused(node: FakeSuiNode, chain: SuiChain) -> None:
    for _ in range(3):
        node.seal_checkpoint()
    node.lowest_available_checkpoint = 2
    with pytest.raises(DepositHistoryPruned):
        await chain.deposits("sui-cp:v1:1", 10)
    with pytest.raises(ValueError):
        await chain.deposits("page-2", 10)


async def test_a_malformed_deposit_event_is_a_clear_error(node: FakeSuiNode, chain: SuiChain) -> None:
    node.ledger.record_events(ALICE, [(f"{PACKAGE}::vault::Deposited<{USD_TYPE}>", b"\x01" * 12)])
    node.seal_checkpoint()
    with pytest.raises(MalformedAnswer, match="Deposited event"):
        await chain.deposits(None, 10)
