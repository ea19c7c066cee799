"""Our settlement transactions as the real Sui TypeScript SDK (``@mysten/sui``) reads them.

Python builds batches (no trades and the empty tree's root, many trades, none,
one or several withdrawals across USD and two tokens, on the local deployment and
on a configured one) and signs each with an operator key of every scheme;
tests/sdk/check_transactions.mjs has the SDK parse the bytes, serialize and build
them again, compute the digest, verify the signature and name the signer, sign
the same bytes with the same key, and decode every command. This test asserts
what came back, field by field, and that every tampered variant fails the SDK's
verification. It needs Node and the SDK (``npm ci --prefix tests/sdk``); without
them it fails, never skips.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.sui.deployment import Deployment
from adapters.sui.keys import OperatorKey
from adapters.sui.schemes import CURVES, KeyScheme
from adapters.sui.transactions import build_batch_transaction, transaction_digest
from application.ports import BatchContent, ObjectRef, Payout

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "tests/sdk/check_transactions.mjs"
SDK_PACKAGE = REPO / "tests" / "sdk" / "node_modules" / "@mysten" / "sui"
INSTALL = "npm ci --prefix tests/sdk --no-audit --no-fund"

TOKEN_A = "0b5c61d4-6f0e-4f64-9a4c-64b3a1f1a001"
TOKEN_B = "7d0e9b7a-2f51-4b8e-8a33-0c1f4b2e9b02"
ALICE, BOB, CAROL = ("0x" + c * 64 for c in "abc")
GAS = ObjectRef("0x" + "9a" * 32, 2**60 + 3, "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi")
GAS_PRICE, GAS_BUDGET = 1_000, 50_000_000
LOCAL = Deployment.local()
CONFIGURED = Deployment.parse(
    json.dumps({
        "package": "0x" + "c0" * 32,
        "vaults": {
            "USD": {"object_id": "0x" + "01" * 32, "initial_shared_version": 2**40, "coin_type": "0x2::sui::SUI"},
            TOKEN_A: {"object_id": "0x" + "02" * 32, "initial_shared_version": 7, "coin_type": "0xbeef::creator::ALICE"},
        },
    })
)
CONTENTS = {
    "no trades, no withdrawals": (LOCAL, BatchContent(1, hashlib.sha256(b"").digest(), 0, ())),
    "many trades, one withdrawal": (
        LOCAL, BatchContent(2, hashlib.sha256(b"many").digest(), 123_456, (Payout("USD", 2**64 - 1, ALICE),))
    ),
    "several withdrawals across USD and two tokens": (
        LOCAL,
        BatchContent(
            3,
            hashlib.sha256(b"several").digest(),
            17,
            (Payout("USD", 1_500_000, ALICE), Payout(TOKEN_A, 25, BOB), Payout("USD", 7, CAROL), Payout(TOKEN_B, 1, ALICE), Payout(TOKEN_A, 3, CAROL)),
        ),
    ),
    "a configured deployment": (
        CONFIGURED, BatchContent(4, hashlib.sha256(b"configured").digest(), 2, (Payout(TOKEN_A, 9, BOB), Payout("USD", 10, ALICE)))
    ),
}


@dataclass(frozen=True)
class Case:
    name: str
    key: OperatorKey
    deployment: Deployment
    content: BatchContent
    tx_bytes: bytes
    signature: bytes


def key_of(scheme: KeyScheme) -> OperatorKey:
    return OperatorKey(scheme, hashlib.sha256(b"operator " + scheme.encode()).digest())


def make_cases() -> list[Case]:
    cases = []
    for scheme in KeyScheme:
        key = key_of(scheme)
        for label, (deployment, content) in CONTENTS.items():
            tx = build_batch_transaction(content, deployment, key.address, [GAS], GAS_PRICE, GAS_BUDGET)
            cases.append(Case(f"{scheme}: {label}", key, deployment, content, tx, key.sign_transaction(tx)))
    return cases


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def tampered(case: Case) -> list[dict[str, str]]:
    """Variants the SDK must refuse; the last one is signed well, by someone else."""
    tx, signature, key = case.tx_bytes, case.signature, case.key
    stranger = OperatorKey(key.scheme, hashlib.sha256(b"stranger").digest())
    other_tx = flipped(tx, len(tx) - 20)
    variants = [
        ("a changed byte in the transaction", flipped(tx, len(tx) // 2), signature),
        ("a changed last byte of the transaction", flipped(tx, len(tx) - 1), signature),
        ("a changed byte in the signature", tx, flipped(signature, 5)),
        ("a stranger's public key", tx, signature[:65] + stranger.public_key),
        ("the signature of other bytes", tx, key.sign_transaction(other_tx)),
        ("a stranger's signature", tx, stranger.sign_transaction(tx)),
    ]
    if key.scheme in CURVES:  # the high-S twin verifies mathematically; Sui and the SDK refuse it
        order = CURVES[key.scheme][1]
        s = int.from_bytes(signature[33:65], "big")
        variants.append(("the high-S twin", tx, signature[:33] + (order - s).to_bytes(32, "big") + signature[65:]))
    return [{"what": what, "tx_bytes": b64(t), "signature": b64(s)} for what, t, s in variants]


def run_the_sdk(cases: list[Case]) -> dict[str, dict[str, Any]]:
    if not SDK_PACKAGE.is_dir():
        pytest.fail(f"the Sui TypeScript SDK is not installed: run `{INSTALL}` from the repository root")
    payload = {
        "cases": [
            {"name": c.name, "tx_bytes": b64(c.tx_bytes), "signature": b64(c.signature), "secret_key": c.key.private_key, "tampered": tampered(c)}
            for c in cases
        ]
    }
    try:
        run = subprocess.run(
            ["node", SCRIPT], input=json.dumps(payload), cwd=REPO, timeout=120, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        pytest.fail("`node` is not on PATH: install Node.js (v20 or later) to check transactions with the Sui SDK")
    if run.returncode != 0:
        pytest.fail(f"{SCRIPT} crashed ({run.returncode}):\n{run.stderr}")
    return {r["name"]: r for r in json.loads(run.stdout)["results"]}


CASES = make_cases()


@pytest.fixture(scope="module")
def sdk() -> dict[str, dict[str, Any]]:
    return run_the_sdk(CASES)


def by_name(case: Case) -> str:
    return case.name


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_the_sdk_parses_the_bytes_and_writes_them_back_identically(case: Case, sdk: dict[str, dict[str, Any]]) -> None:
    seen = sdk[case.name]
    assert seen["parse"] == {"ok": True}, seen
    assert seen["reserialized"] == b64(case.tx_bytes)
    assert seen["rebuilt"] == {"ok": True, "value": b64(case.tx_bytes)}, seen["rebuilt"]


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_the_sdks_digest_is_ours(case: Case, sdk: dict[str, dict[str, Any]]) -> None:
    assert sdk[case.name]["digest"] == transaction_digest(case.tx_bytes)


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_the_sdk_verifies_the_signature_and_names_the_operator_who_signs_as_the_sdk_would(
    case: Case, sdk: dict[str, dict[str, Any]]
) -> None:
    seen = sdk[case.name]
    assert seen["verify_error"] is None and seen["signer"] == case.key.address
    assert seen["sdk_address"] == case.key.address
    assert seen["sdk_scheme"].lower() == case.key.scheme
    assert seen["sdk_signature"] == b64(case.signature)  # deterministic signing: the very same bytes


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_the_sender_gas_and_expiration_are_what_we_built(case: Case, sdk: dict[str, dict[str, Any]]) -> None:
    seen = sdk[case.name]
    assert seen["sender"] == case.key.address
    assert seen["gas"] == {
        "payment": [{"objectId": GAS.object_id, "version": str(GAS.version), "digest": GAS.digest}],
        "owner": case.key.address,
        "price": str(GAS_PRICE),
        "budget": str(GAS_BUDGET),
    }
    assert seen["expiration"] == {"None": True, "$kind": "None"}


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_record_batch_comes_first_with_its_three_pure_arguments(case: Case, sdk: dict[str, dict[str, Any]]) -> None:
    record = sdk[case.name]["commands"][0]
    assert {k: record[k] for k in ("kind", "package", "module", "function", "type_arguments")} == {
        "kind": "MoveCall",
        "package": case.deployment.package,
        "module": "settlement",
        "function": "record_batch",
        "type_arguments": [],
    }
    assert [a["Input"] for a in record["arguments"]] == [0, 1, 2]
    assert record["sequence"] == str(case.content.sequence)
    assert record["trades_root"] == case.content.trades_root.hex()
    assert record["trade_count"] == str(case.content.trade_count)


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_each_withdrawal_draws_its_amount_from_its_assets_vault_to_its_recipient(case: Case, sdk: dict[str, dict[str, Any]]) -> None:
    seen = sdk[case.name]
    withdrawals = seen["commands"][1:]
    assert len(withdrawals) == len(case.content.payouts)
    for payout, command in zip(case.content.payouts, withdrawals, strict=True):
        vault = case.deployment.vault(payout.asset)
        assert {k: command[k] for k in ("kind", "package", "module", "function", "type_arguments")} == {
            "kind": "MoveCall",
            "package": case.deployment.package,
            "module": "vault",
            "function": "withdraw",
            "type_arguments": [vault.coin_type],
        }
        shared = command["vault"]["Object"]["SharedObject"]
        assert shared == {"objectId": vault.object_id, "initialSharedVersion": str(vault.initial_shared_version), "mutable": True}
        assert command["amount"] == str(payout.amount)
        assert command["recipient"] == payout.recipient
    assets = {p.asset for p in case.content.payouts}
    assert seen["input_kinds"].count("Object") == len(assets)  # each vault once, however many draw on it
    assert seen["input_kinds"].count("Pure") == 3 + 2 * len(case.content.payouts)


@pytest.mark.parametrize("case", CASES, ids=by_name)
def test_every_tampered_variant_fails_the_sdks_verification(case: Case, sdk: dict[str, dict[str, Any]]) -> None:
    verdicts = {t["what"]: t for t in sdk[case.name]["tampered"]}
    assert len(verdicts) == len(tampered(case))
    stranger = verdicts.pop("a stranger's signature")
    assert stranger["verified"] and stranger["signer"] != case.key.address  # valid, but not the operator's
    for what, verdict in verdicts.items():
        assert not verdict["verified"], (what, verdict)
