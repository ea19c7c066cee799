"""A server settling on Sui through the real adapter (pysui's gRPC client) against the fake node run as a process
of its own (tests/fakes/run_sui_node.py): a chain deposit is credited once by the watcher, trades settle in batches
the node executes, a proof verifies with the Sui SDK, a withdrawal is paid with the batch's digest, the vaults the
node reports equal the liabilities, and the admin's hand-made deposits do not exist on a real chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.sui.keys import OperatorKey
from domain.token.token import token_id_for
from tests.e2e.conftest import Server
from tests.e2e.helpers import API, sign_in
from tests.e2e.test_settlement import _withdrawal, all_confirmed, proof_of, settled, verify_with_the_sdk
from tests.e2e.test_trading import D, Market, Trader, limit, problem, start_market
from tests.support.wallets import Wallet

REPO = Path(__file__).resolve().parents[2]
SUPPLY = 1_000_000 * 10**6  # what list_token gives the creator, minted into the token's vault on chain


@pytest.fixture
def sui_node(tmp_path: Path) -> Iterator[Callable[..., dict[str, Any]]]:
    running: list[subprocess.Popen[bytes]] = []

    def start(operator: str, depositor: str, micro_usd: int) -> dict[str, Any]:
        out = tmp_path / "node.json"
        env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}"}
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.run_sui_node", "--operator", operator,
             "--token", f"{token_id_for('ALICE')}={SUPPLY}", "--deposit", f"{depositor}={micro_usd}", "--out", str(out)],
            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=(tmp_path / "node.log").open("wb"),
        )
        running.append(process)
        deadline = time.monotonic() + 30
        while not out.exists():
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "node.log").read_text()
            time.sleep(0.05)
        return json.loads(out.read_text())

    yield start
    for process in running:
        process.kill()
        process.wait()


@pytest.fixture
def market(start_server: Callable[..., Server], sui_node: Callable[..., dict[str, Any]]) -> Iterator[tuple[Market, Wallet]]:
    operator = OperatorKey.generate()  # Ed25519: the fake node checks that scheme (the SDK test checks all three)
    depositor = Wallet.new()
    node = sui_node(operator.address, depositor.address, 1_000 * 10**6)
    m = start_market(
        start_server,
        PEOPLECOIN_SETTLEMENT_SECONDS="0.3",
        PEOPLECOIN_SUI_URL=node["url"],
        PEOPLECOIN_SUI_OPERATOR_KEY=operator.private_key,
        PEOPLECOIN_SUI_DEPLOYMENT=json.dumps(node["deployment"]),
    )
    yield m, depositor
    m.client.close()


def test_a_server_on_sui_credits_chain_deposits_settles_trades_and_pays_withdrawals(market: tuple[Market, Wallet]) -> None:
    m, wallet = market
    depositor = Trader(m.client, wallet, sign_in(m.client, wallet))
    deadline = time.monotonic() + 30
    while depositor.balance("USD") != (D(1000), D(0)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert depositor.balance("USD") == (D(1000), D(0))  # the watcher credited the chain's Deposited event, once
    problem(  # deposits come from the chain here
        m.client.post(f"{API}/admin/deposits", json={"address": wallet.address, "asset": "USD", "amount": "1"}, headers=m.admin.headers),
        404, "not_found",
    )

    creator = m.trader()
    m.list_token("ALICE", creator)
    creator.placed(**limit("ALICE", "sell", "2", "10"))
    fill = depositor.placed(**limit("ALICE", "buy", "2", "10"))["fills"][0]
    proof = proof_of(depositor, fill["trade_id"])
    verified = verify_with_the_sdk(m, depositor, fill["trade_id"])
    assert verified["ok"], verified

    made = depositor.client.post(
        f"{API}/users/me/withdrawals", json={"asset": "USD", "amount": "100", "to_address": wallet.address},
        headers=depositor.headers,
    ).json()
    deadline = time.monotonic() + 30
    while (entry := _withdrawal(depositor, made["id"]))["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert entry["status"] == "completed" and entry["digest"]
    found = settled(m, lambda bs: all_confirmed(bs) and any(b["digest"] == entry["digest"] for b in bs))
    assert [b["status"] for b in found] == ["confirmed"] * len(found) and proof["batch"] in [b["sequence"] for b in found]

    m.list_token("BOB", creator)  # listed, but the deployment has no vault for it: it cannot leave the platform
    refused = creator.client.post(
        f"{API}/users/me/withdrawals", json={"asset": "BOB", "amount": "1", "to_address": creator.address},
        headers=creator.headers,
    )
    problem(refused, 422, "asset_not_withdrawable")
    assert creator.balance("BOB") == (D(1_000_000), D(0))

    assert depositor.balance("USD")[0] == D(1000) - D(20) - D("0.1") - D(100) - D("0.1")  # trade + taker fee, 100 + fee
    custody = {c["asset"]: c for c in m.client.get(f"{API}/custody").json()["assets"]}
    assert set(custody) == {"USD", "ALICE"}
    for c in custody.values():  # what the node's vaults hold against what the balances add up to
        assert D(c["balance"]) == D(c["liabilities"]), c
    assert D(custody["USD"]["balance"]) == D(900)
