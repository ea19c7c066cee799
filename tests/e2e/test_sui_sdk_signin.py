"""Signing in with the real Sui TypeScript SDK (``@mysten/sui``) against a real server process.

tests/sdk/signin.mjs does the wallet's side with the SDK's own keypairs and
``signPersonalMessage``; this test judges what the server answered. It needs
Node and the SDK installed with ``npm ci --prefix tests/sdk``.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server, server_env

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "tests/sdk/signin.mjs"
SDK_PACKAGE = REPO / "tests" / "sdk" / "node_modules" / "@mysten" / "sui"
INSTALL = "npm ci --prefix tests/sdk --no-audit --no-fund"
SCHEMES = ["Ed25519", "Secp256k1", "Secp256r1"]
SUI_ADDRESS = re.compile(r"0x[0-9a-f]{64}")


def sign_in_with_the_sdk(server: Server) -> list[dict[str, Any]]:
    """Run the SDK script against the server; its results, one per key scheme."""
    try:
        run = subprocess.run(
            ["node", SCRIPT, server.url], cwd=REPO, timeout=120, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        pytest.fail("`node` is not on PATH: install Node.js (v20 or later) to run the Sui SDK sign-in test")
    if run.returncode != 0:
        pytest.fail(f"{SCRIPT} crashed ({run.returncode}):\n{run.stderr}\n--- server log ---\n{server.log()[-5000:]}")
    return json.loads(run.stdout)["results"]


def assert_signed_in(result: dict[str, Any]) -> None:
    shown = json.dumps(result, indent=2)
    address = result["address"]
    assert SUI_ADDRESS.fullmatch(address), shown
    assert result["nonce_status"] == 200, shown

    assert result["verify_status"] == 200, shown
    session = result["verify_body"]
    assert session.get("token_type") == "Bearer", shown
    assert isinstance(session.get("access_token"), str) and session["access_token"], shown
    assert isinstance(session.get("refresh_token"), str) and session["refresh_token"], shown
    user = session.get("user") or {}
    assert user.get("wallet_address") == address.lower(), shown
    assert "user" in user.get("roles", []), shown

    assert result["me_status"] == 200, shown
    me = result["me_body"]
    assert me.get("id") == user["id"], shown
    assert me.get("wallet_address") == user["wallet_address"], shown

    assert result["replay_status"] == 401, shown
    problem = result["replay_body"]
    assert isinstance(problem, dict) and isinstance(problem.get("code"), str) and problem["code"], shown


def test_a_wallet_of_each_sui_key_scheme_signs_in_with_the_real_sdk_and_cannot_replay_its_signature(
    tmp_path: Path,
) -> None:
    if not SDK_PACKAGE.is_dir():
        pytest.fail(f"the Sui TypeScript SDK is not installed: run `{INSTALL}` from the repository root")
    server = Server(server_env(tmp_path), tmp_path / "server.log").start()
    try:
        results = sign_in_with_the_sdk(server)
    finally:
        if server.process is not None:
            server.kill(signal.SIGKILL)

    assert [r["scheme"] for r in results] == SCHEMES
    for result in results:
        assert_signed_in(result)
    assert len({r["address"] for r in results}) == len(SCHEMES)
