"""``peoplecoin demo`` fills an empty store through the real commands, and a real server then shows the market:
creators, tokens with prices, candles over the week, trending, books with both sides; the demo's own users sign
in with the keys it wrote. It waits for no server (it refuses while one holds the writer lease), fills a store
once (a second run is refused and changes nothing), leaves the log in time order, passes the audit, and makes
the same market from the same seed."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from adapters.sui.signer import Ed25519Wallet
from tests.e2e.conftest import Server, server_env
from tests.e2e.helpers import API

SYMBOLS = {"MAYA", "THEO", "KAI", "PRIYA", "LEOB", "SOFIA", "JAMAL", "AMARA", "NORA", "ZOE", "MARC", "INES"}


def read_log(env: dict[str, str]) -> list[Any]:
    """Every event of the store the environment names, in log order (in this process, after the CLI)."""
    from entrypoints.config import Settings
    from entrypoints.container import build

    async def read() -> list[Any]:
        store = build(Settings.from_env(env)).event_store()
        try:
            return [r.event for r in await store.read_log(0, 1_000_000)]
        finally:
            await store.close()

    return asyncio.run(read())


def sign_in(client: httpx.Client, wallet: Ed25519Wallet) -> dict[str, str]:
    message = client.post(f"{API}/auth/nonce", json={"address": wallet.address}).json()["message"]
    signature = wallet.sign_personal_message(message.encode())
    answer = client.post(f"{API}/auth/verify", json={"address": wallet.address, "message": message, "signature": signature})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def wallets_of(server: Server) -> dict[str, dict[str, str]]:
    written = json.loads((Path(server.env["PEOPLECOIN_DATA_DIR"]) / "demo-wallets.json").read_text())
    return {w["username"]: w for w in written["wallets"]}


def wallet(entry: dict[str, str]) -> Ed25519Wallet:
    return Ed25519Wallet(bytes.fromhex(entry["seed_hex"]))


def test_the_demo_fills_an_empty_store_and_a_server_shows_the_market(start_server: Callable[..., Server]) -> None:
    server = start_server()  # an empty store: the server seeds the categories, nothing else
    head = len(read_log(server.env))
    held = server.cli("demo")
    assert held.returncode == 1 and "writer lease" in held.stderr, held.stderr
    assert len(read_log(server.env)) == head
    server.kill(signal.SIGTERM)

    made = server.cli("demo")
    assert made.returncode == 0, made.stderr
    assert "12 creators" in made.stdout and "demo-wallets.json" in made.stdout, made.stdout
    events = read_log(server.env)
    ours = [e.at for e in events[head:]]
    assert ours == sorted(ours), "the demo's events are in time order in the log"
    assert (ours[-1] - ours[0]).days >= 6

    again = server.cli("demo")
    assert again.returncode == 1 and "empty store only" in again.stderr, again.stderr
    assert len(read_log(server.env)) == len(events)
    audit = server.cli("audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr

    people = wallets_of(server)
    server.env["PEOPLECOIN_ADMIN_ADDRESSES"] = people["demo_admin"]["address"]
    server.start()
    with server.client() as client:
        creators = client.get(f"{API}/creators").json()["items"]
        assert len(creators) == 12
        assert sum(c["verified"] for c in creators) == 5 and len({c["category"] for c in creators}) >= 8
        profile = client.get(f"{API}/creators/mayasings").json()
        for part in ("links", "skills", "achievements", "work_experiences", "education", "content_sections"):
            assert profile[part], part
        assert profile["avatar_url"].startswith("https://") and profile["followers_count"] > 0

        tokens = {t["symbol"]: t for t in client.get(f"{API}/tokens").json()["items"]}
        assert set(tokens) == SYMBOLS
        assert all(float(t["price"]) > 0 and t["holders_count"] > 1 for t in tokens.values())
        assert sum(float(t["volume_24h"]) > 0 for t in tokens.values()) >= 10
        for symbol in SYMBOLS:
            book = client.get(f"{API}/orderbook/{symbol}").json()
            assert book["bids"] and book["asks"], symbol
        candles = client.get(f"{API}/tokens/MAYA/price-history", params={"interval": "1h"}).json()
        traded = [c for c in candles if c["trades"] > 0]
        assert len({c["t"][:10] for c in traded}) >= 5 and len(traded) >= 20
        assert len({c["close"] for c in traded}) > 5  # the price moves

        trending = client.get(f"{API}/trending").json()
        assert trending["creators"] and len(trending["topics"]) == 2

        as_maya = sign_in(client, wallet(people["mayasings"]))
        edited = client.patch(f"{API}/creators/me", json={"location": "Lagos, Nigeria"}, headers=as_maya)
        assert edited.status_code == 200, edited.text
        as_ana = sign_in(client, wallet(people["ana_trades"]))
        me = client.get(f"{API}/users/me", headers=as_ana).json()
        assert me["username"] == "ana_trades"
        balances = client.get(f"{API}/users/me/balances", headers=as_ana).json()
        assert any(b["asset"] == "USD" and float(b["total"]) > 0 for b in balances)
        as_admin = sign_in(client, wallet(people["demo_admin"]))
        for status, handles in (("pending", ["oliverbeats"]), ("rejected", ["quickflip"])):
            listed = client.get(f"{API}/admin/applications", params={"status": status}, headers=as_admin)
            assert [a["handle"] for a in listed.json()["items"]] == handles, listed.text


def test_one_seed_makes_one_market_and_a_new_store_is_in_time_order_from_its_first_event(tmp_path: Path) -> None:
    logs = []
    for name in ("first", "second"):
        home = tmp_path / name
        home.mkdir()
        cli = Server(server_env(home), home / "server.log")
        made = cli.cli("demo", "--seed", "5")
        assert made.returncode == 0, made.stderr
        logs.append(read_log(cli.env))
    first, second = logs
    at = [e.at for e in first]
    assert at == sorted(at)
    assert type(first[0]).__name__ == "CategoryAdded"  # seeded by the demo, at the start of its week
    assert shifted(first) == shifted(second)


def shifted(events: list[Any]) -> list[tuple[str, dict[str, object]]]:
    """The events with every time told from the first event's: two runs end at different moments."""
    start = events[0].at

    def value(v: object) -> object:
        return v - start if isinstance(v, datetime) else v

    return [(type(e).__name__, {f.name: value(getattr(e, f.name)) for f in fields(e)}) for e in events]
