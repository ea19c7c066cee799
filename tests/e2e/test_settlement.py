"""SETTLEMENT.md through a real server on the local ledger: trading produces confirmed batches every interval, every
trade has a proof that verifies against its batch's root (recomputed here from the leaf's own fields), withdrawals
complete with the batch's digest or fail and release their hold, deposits credit once, custody equals liabilities,
and all of it holds across kill -9."""

from __future__ import annotations

import base64
import hashlib
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.settlement.merkle import root_from_path
from tests.e2e.conftest import Server
from tests.e2e.helpers import API
from tests.e2e.test_trading import D, Market, Trader, limit, problem, start_market

INTERVAL = "0.3"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def market(start_server: Callable[..., Server]) -> Iterator[Market]:
    m = start_market(start_server, PEOPLECOIN_SETTLEMENT_SECONDS=INTERVAL)
    yield m
    m.client.close()


def batches(market: Market) -> list[dict[str, Any]]:
    response = market.client.get(f"{API}/settlement/batches", params={"limit": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def settled(market: Market, predicate: Callable[[list[dict[str, Any]]], bool], seconds: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while True:
        found = batches(market)
        if predicate(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def all_confirmed(found: list[dict[str, Any]]) -> bool:
    return bool(found) and all(b["status"] in ("confirmed", "failed") for b in found)


def proof_of(trader: Trader, trade_id: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        response = trader.client.get(f"{API}/trades/{trade_id}/proof", headers=trader.headers)
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response.json()
        if response.status_code != 503:  # a view still behind the committed market (a loaded machine): try again
            problem(response, 409, "not_settled_yet")
        time.sleep(0.1)


def check_proof(proof: dict[str, Any], batch: dict[str, Any], buyer: Trader, seller: Trader, price: str, quantity: str) -> None:
    leaf = bytes.fromhex(proof["leaf"])
    assert len(leaf) == 16 + 16 + 32 + 32 + 32
    assert UUID(bytes=leaf[:16]) == UUID(proof["trade_id"])
    assert leaf[32:64].hex() == buyer.address[2:] and leaf[64:96].hex() == seller.address[2:]
    assert int.from_bytes(leaf[96:104], "little") == int(D(price) * 10**6)
    assert int.from_bytes(leaf[104:112], "little") == int(D(quantity) * 10**6)
    path = [bytes.fromhex(node) for node in proof["audit_path"]]
    assert root_from_path(leaf, proof["leaf_index"], proof["tree_size"], path) == bytes.fromhex(batch["trades_root"])
    assert proof["trades_root"] == batch["trades_root"] and proof["digest"] == batch["digest"]
    tx = base64.b64decode(batch["tx_bytes"])
    digest_input = hashlib.blake2b(b"TransactionData::" + tx, digest_size=32).digest()
    assert batch["digest"] == _base58(digest_input)
    assert bytes.fromhex(batch["trades_root"]) in tx  # the root is a pure argument of record_batch


def verify_with_the_sdk(market: Market, trader: Trader, trade_id: str) -> dict[str, Any]:
    """docs/verify_trade.mjs, run as a user would, with the SDK the tests installed (tests/sdk)."""
    try:
        run = subprocess.run(
            ["node", str(REPO / "docs" / "verify_trade.mjs"), market.server.url, trade_id, trader.tokens["access_token"]],
            cwd=REPO / "tests" / "sdk", timeout=120, capture_output=True, text=True, check=False,
        )
    except FileNotFoundError:
        pytest.fail("`node` is not on PATH: install Node.js (v20 or later) to run the Sui SDK checks")
    if run.returncode not in (0, 1):
        pytest.fail(f"docs/verify_trade.mjs crashed ({run.returncode}):\n{run.stderr}")
    return json.loads(run.stdout)


def _base58(data: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def test_trades_settle_in_batches_with_proofs_withdrawals_are_paid_and_custody_equals_liabilities(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="1000")
    creator.placed(**limit("ALICE", "sell", "1.5", "10"))
    fill = buyer.placed(**limit("ALICE", "buy", "1.5", "4"))["fills"][0]
    assert batches(market) == [] or all(b["trade_count"] >= 0 for b in batches(market))

    proof = proof_of(buyer, fill["trade_id"])
    found = settled(market, all_confirmed)
    batch = next(b for b in found if b["sequence"] == proof["batch"])
    assert batch["status"] == "confirmed" and batch["trade_count"] >= 1 and batch["operator_address"].startswith("0x")
    check_proof(proof, batch, buyer, creator, "1.5", "4")
    assert proof_of(creator, fill["trade_id"]) == proof  # the other party gets the same proof
    verified = verify_with_the_sdk(market, buyer, fill["trade_id"])
    assert verified["ok"] and all(verified["checks"].values()), verified
    assert (verified["trade"]["buyer"], verified["trade"]["seller"]) == (buyer.address, creator.address)
    stranger = market.trader()
    problem(stranger.client.get(f"{API}/trades/{fill['trade_id']}/proof", headers=stranger.headers), 404, "trade_not_found")
    problem(market.client.get(f"{API}/trades/{fill['trade_id']}/proof"), 401, "missing_token")

    trades = buyer.client.get(f"{API}/trades", headers=buyer.headers).json()["items"]
    assert trades[0]["settlement"] == {"batch": batch["sequence"], "digest": batch["digest"]}
    entries = [e for e in buyer.client.get(f"{API}/transactions", params={"type": "trade"}, headers=buyer.headers).json()["items"]]
    assert entries and all(e["digest"] == batch["digest"] for e in entries)

    # a withdrawal: held at once, paid by the next batch with its digest
    made = buyer.client.post(
        f"{API}/users/me/withdrawals", json={"asset": "USD", "amount": "10", "to_address": buyer.address}, headers=buyer.headers
    )
    assert made.status_code == 201, made.text
    withdrawal = made.json()
    deadline = time.monotonic() + 30
    while (entry := _withdrawal(buyer, withdrawal["id"]))["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert entry["status"] == "completed" and entry["digest"]
    found = settled(market, lambda bs: any(b["digest"] == entry["digest"] for b in bs))  # each view at its own pace
    paid = next(b for b in found if b["digest"] == entry["digest"])
    assert paid["withdrawal_count"] == 1

    custody = market.client.get(f"{API}/custody").json()["assets"]
    assert {c["asset"] for c in custody} == {"USD", "ALICE"}
    for c in custody:
        assert D(c["balance"]) == D(c["liabilities"]) > 0, c
    vault = market.client.get(f"{API}/tokens/ALICE/vault").json()
    assert D(vault["balance"]) == D(vault["liabilities"]) == 1_000_000
    problem(market.client.get(f"{API}/tokens/ALICE/pool"), 404, "pool_not_configured")
    problem(market.client.get(f"{API}/settlement/batches/999999"), 404, "batch_not_found")
    problem(market.client.get(f"{API}/settlement/batches/nope"), 404, "not_found")
    for hostile in ("0", "-1", str(2**63), str(10**30)):
        problem(market.client.get(f"{API}/settlement/batches/{hostile}"), 404, "batch_not_found")
    problem(market.client.get(f"{API}/settlement/batches", params={"cursor": "garbage"}), 422, "invalid_cursor")
    problem(buyer.client.get(f"{API}/trades/not-a-uuid/proof", headers=buyer.headers), 404, "not_found")
    problem(buyer.client.get(f"{API}/trades/{UUID(int=7)}/proof", headers=buyer.headers), 404, "trade_not_found")
    problem(market.client.get(f"{API}/tokens/NOPE/vault"), 404, "token_not_found")

    # a deposit recorded twice under one reference: credited once, in the vault once
    for _ in range(2):
        again = market.client.post(
            f"{API}/admin/deposits", json={"address": buyer.address, "asset": "USD", "amount": "7", "reference": "wire-1"},
            headers=market.admin.headers,
        )
        assert again.status_code in (200, 201), again.text
    custody = market.client.get(f"{API}/custody").json()["assets"]
    assert all(D(c["balance"]) == D(c["liabilities"]) for c in custody), custody


def _withdrawal(trader: Trader, withdrawal_id: str) -> dict[str, Any]:
    response = trader.client.get(f"{API}/users/me/withdrawals", params={"limit": 500}, headers=trader.headers)
    assert response.status_code == 200, response.text
    return next(w for w in response.json()["items"] if w["id"] == withdrawal_id)


def paid_by(trader: Trader, withdrawal_id: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while _withdrawal(trader, withdrawal_id)["status"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _withdrawal(trader, withdrawal_id)["status"] == "completed"


def test_a_failed_batch_fails_its_withdrawals_and_its_trades_are_settled_by_the_next(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="1000")
    faults = market.client.post(f"{API}/admin/chain/faults", json={"fail_next": 1}, headers=market.admin.headers)
    assert faults.status_code == 200, faults.text
    problem(market.client.post(f"{API}/admin/chain/faults", json={"fail_next": -1}, headers=market.admin.headers), 422, "validation_error")
    problem(market.client.post(f"{API}/admin/chain/faults", json={"fail_next": 1}, headers=buyer.headers), 403, "forbidden")
    made = buyer.client.post(
        f"{API}/users/me/withdrawals", json={"asset": "USD", "amount": "10", "to_address": buyer.address}, headers=buyer.headers
    ).json()
    creator.placed(**limit("ALICE", "sell", "2", "1"))
    fill = buyer.placed(**limit("ALICE", "buy", "2", "1"))["fills"][0]
    proof = proof_of(buyer, fill["trade_id"])
    found = settled(market, lambda bs: any(b["status"] == "failed" for b in bs) and all_confirmed(bs))
    failed = [b for b in found if b["status"] == "failed"]
    assert failed and failed[0]["error"]
    assert proof["batch"] > failed[0]["sequence"]
    entry = _withdrawal(buyer, made["id"])
    assert entry["status"] == "failed"
    assert buyer.balance("USD")[1] == 0  # nothing held any more


def test_kill_9_while_the_chain_holds_a_submitted_batch_confirms_it_once_after_the_restart(
    start_server: Callable[..., Server],
) -> None:
    market = start_market(start_server, PEOPLECOIN_SETTLEMENT_SECONDS=INTERVAL, PEOPLECOIN_LOCAL_CHAIN_DELAY="3")
    try:
        creator = market.trader()
        market.list_token("ALICE", creator)
        buyer = market.trader(usd="1000")
        creator.placed(**limit("ALICE", "sell", "1", "5"))
        fill = buyer.placed(**limit("ALICE", "buy", "1", "5"))["fills"][0]
        made = buyer.client.post(
            f"{API}/users/me/withdrawals", json={"asset": "USD", "amount": "3", "to_address": buyer.address}, headers=buyer.headers
        ).json()
        submitted = settled(market, lambda bs: any(b["status"] == "submitted" for b in bs), seconds=20)
        assert any(b["status"] == "submitted" for b in submitted), submitted
        market.server.kill(signal.SIGKILL)  # the bytes are with the chain, which has not run them yet
        market.server.start()
        proof_of(buyer, fill["trade_id"])
        paid_by(buyer, made["id"])  # the withdrawal may ride the batch after the submitted one
        found = settled(market, all_confirmed)
        assert [b["status"] for b in found] == ["confirmed"] * len(found)
        custody = market.client.get(f"{API}/custody").json()["assets"]
        assert all(D(c["balance"]) == D(c["liabilities"]) for c in custody), custody  # paid once
    finally:
        market.client.close()


def test_batches_proofs_and_custody_survive_kill_9_and_nothing_is_paid_twice(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="1000")
    creator.placed(**limit("ALICE", "sell", "1", "50"))
    fills = [buyer.placed(**limit("ALICE", "buy", "1", "1"))["fills"][0] for _ in range(5)]
    made = buyer.client.post(
        f"{API}/users/me/withdrawals", json={"asset": "USD", "amount": "5", "to_address": buyer.address}, headers=buyer.headers
    )
    assert made.status_code == 201, made.text
    market.server.kill(signal.SIGKILL)  # somewhere in a batch's life
    market.server.start()
    for fill in fills:
        proof_of(buyer, fill["trade_id"])
    # the trades may be settled by a batch opened before the withdrawal was asked for; the withdrawal then
    # rides the next one, so wait for it to be paid before counting
    paid_by(buyer, made.json()["id"])
    found = settled(market, all_confirmed)
    sequences = sorted(b["sequence"] for b in found)
    assert sequences == list(range(1, len(sequences) + 1))  # numbered without gaps
    digests = [b["digest"] for b in found if b["status"] == "confirmed"]
    assert len(digests) == len(set(digests))
    assert sum(b["trade_count"] for b in found if b["status"] == "confirmed") == 5 + 0
    paid = sum(b["withdrawal_count"] for b in found if b["status"] == "confirmed")
    assert paid == 1
    custody = market.client.get(f"{API}/custody").json()["assets"]
    assert all(D(c["balance"]) == D(c["liabilities"]) for c in custody), custody
