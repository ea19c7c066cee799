"""Small helpers for e2e tests that sign in and trade through a real server (copied from test_auth.py's helpers)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.wallets import Wallet

API = "/api/v1"


def challenge(client: httpx.Client, wallet: Wallet) -> dict[str, Any]:
    response = client.post(f"{API}/auth/nonce", json={"address": wallet.address})
    assert response.status_code == 200, response.text
    return response.json()


def sign_in(client: httpx.Client, wallet: Wallet) -> dict[str, Any]:
    message = challenge(client, wallet)["message"]
    response = client.post(
        f"{API}/auth/verify", json={"address": wallet.address, "message": message, "signature": wallet.sign(message)}
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
