"""The OpenAPI document is complete and the server keeps to it.

The document is checked against what the server does, not against the
code that writes it: an operation that answers 401 without a token must say
so and carry the Bearer requirement, one that answers 403 to a plain user
must list 403, and so on. Then Schemathesis drives every operation with
generated input three times, as nobody, as a user and as an admin, against a
market with a token, balances, orders and a trade: no 5xx, and every answer
(status, content type, body) as documented.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import BIN, Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import Wallet

METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM = "application/problem+json"
UNLIMITED = ("/health", "/ready", "/metrics", "/schema")
pytestmark = pytest.mark.parametrize("backend", ["embedded"])


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def concrete(path: str) -> str:
    """The path with every parameter filled by something that exists nowhere."""
    return re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)


@pytest.fixture
def admin_server(start_server: Callable[..., Server]) -> tuple[Server, Wallet]:
    admin = Wallet.new()
    return start_server(PEOPLECOIN_ADMIN_ADDRESSES=admin.address, PEOPLECOIN_RATE_LIMITS="off"), admin


def test_every_operation_documents_what_it_answers(admin_server: tuple[Server, Wallet]) -> None:
    server, admin = admin_server
    with server.client() as client:
        document = client.get("/schema/openapi.json").json()
        user = bearer(sign_in(client, Wallet.new()))
        scheme = document["components"]["securitySchemes"]["BearerToken"]
        assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
        problem = document["components"]["schemas"]["ProblemDetails"]
        assert {"type", "title", "status", "detail", "instance", "code"} <= set(problem["required"])
        seen = 0
        for path, method, operation in operations(document):
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            anonymous = client.request(method, concrete(path), json={} if "requestBody" in operation else None)
            if anonymous.status_code == 401:  # what it does, then what it says
                seen += 1
                assert "401" in responses, where
                assert operation.get("security") == [{"BearerToken": []}], where
                as_user = client.request(method, concrete(path), headers=user, json={} if "requestBody" in operation else None)
                if as_user.status_code == 403:
                    assert "403" in responses, where
            else:
                assert "security" not in operation, where
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= responses.keys(), where
                malformed = client.request(method, concrete(path), content=b"{", headers={"Content-Type": "application/json", **user})
                assert str(malformed.status_code) in responses, (where, malformed.status_code)
            if "{" in path:
                assert "404" in responses, where
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in responses, where
            assert ("429" in responses) is not path.startswith(UNLIMITED), where
            # 503: a backing service or the engine; 504: a page the server fetched for the caller (POST /scrape)
            assert not any(status.startswith("5") and status not in ("503", "504") for status in responses), where
            for status, response in responses.items():
                if status[0] in "45":
                    content = response["content"]
                    assert list(content) == [PROBLEM], (where, status)
                    assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}, (where, status)
        assert seen >= 15, "the probe found too few operations that need a token"


def schema_of(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]


def enum_of(schema: dict[str, Any]) -> list[str]:
    if "enum" in schema:
        return list(schema["enum"])
    for option in schema.get("oneOf", schema.get("anyOf", [])):
        if "enum" in option:
            return list(option["enum"])
        if "$ref" in option:
            raise AssertionError(f"follow {option['$ref']}")
    raise AssertionError(f"no enum in {schema}")


def test_enumerations_are_enums(server: Server) -> None:
    with server.client() as client:
        document = client.get("/schema/openapi.json").json()

    def parameter(path: str, name: str) -> dict[str, Any]:
        (found,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
        schema = found["schema"]
        if "$ref" in schema:
            schema = schema_of(document, schema["$ref"].rsplit("/", 1)[1])
        return schema

    order = schema_of(document, "OrderRequest")["properties"]
    response = schema_of(document, "OrderResponse")["properties"]
    expected = {
        "side": (enum_of(order["side"]), ["buy", "sell"]),
        "type": (enum_of(order["type"]), ["limit", "market"]),
        "time_in_force": (enum_of(order["time_in_force"]), ["GTC", "IOC", "FOK"]),
        "self_trade_prevention": (enum_of(order["self_trade_prevention"]), ["cancel_maker", "cancel_taker", "cancel_both"]),
        "status": (enum_of(response["status"]), ["open", "partially_filled", "filled", "cancelled", "expired"]),
        "liquidity": (enum_of(schema_of(document, "FillResponse")["properties"]["liquidity"]), ["maker", "taker"]),
        "interval": (enum_of(parameter(f"{API}/tokens/{{token_ref}}/price-history", "interval")), ["1m", "5m", "15m", "1h", "4h", "1d"]),
        "status filter": (enum_of(parameter(f"{API}/orders", "status")), ["open", "closed", "all"]),
        "sort": (enum_of(parameter(f"{API}/tokens", "sort")), ["market_cap", "volume_24h", "price_change_24h", "newest", "symbol"]),
        "statistics interval": (enum_of(parameter(f"{API}/statistics/history", "interval")), ["1h", "1d"]),
        "sentiment interval": (enum_of(parameter(f"{API}/market/sentiment/history", "interval")), ["1h", "1d"]),
        "sentiment label": (
            enum_of(schema_of(document, "SentimentResponse")["properties"]["label"]),
            ["extreme_fear", "fear", "neutral", "greed", "extreme_greed"],
        ),
        "sentiment component": (
            enum_of(schema_of(document, "ComponentResponse")["properties"]["name"]),
            ["taker_balance", "breadth", "momentum", "social"],
        ),
    }
    for name, (found, wanted) in expected.items():
        assert sorted(found) == sorted(wanted), name


def seeded_market(client: httpx.Client, admin: dict[str, str], user: dict[str, str], user_address: str) -> dict[str, list[str]]:
    """A token with a trade, a resting order each side and balances, so generated requests reach past 404s."""
    listing = {"symbol": "ALICE", "name": "Alice", "creator_wallet_address": admin["address"], "total_supply": "100000",
               "initial_price": "1"}
    token = client.post(f"{API}/admin/tokens", json=listing, headers=admin["auth"])  # type: ignore[arg-type]
    assert token.status_code == 201, token.text
    funded = client.post(f"{API}/admin/deposits", json={"address": user_address, "asset": "USD", "amount": "1000"}, headers=admin["auth"])  # type: ignore[arg-type]
    assert funded.status_code == 201, funded.text
    orders = []
    for who, side, price, quantity in ((user, "buy", "1", "10"), (admin, "sell", "1", "4"), (admin, "sell", "2", "3")):
        placed = client.post(f"{API}/orders", json={"token_id": "ALICE", "side": side, "type": "limit", "price": price,
                                                    "quantity": quantity}, headers=who["auth"])  # type: ignore[arg-type]
        assert placed.status_code == 201, placed.text
        orders.append(placed.json()["order"]["id"])
    trades = client.get(f"{API}/tokens/ALICE/transactions", params={"min_position": placed.headers["x-event-position"]})
    assert trades.json()["items"], "the seed should have made a trade"
    return {"tokens": ["ALICE", token.json()["id"]], "assets": ["USD", "ALICE"], "orders": orders,
            "addresses": [admin["address"], user_address], "categories": ["art", "music"]}


# Each run: a few minutes at most for the three together on a small machine; deterministic.
SCHEMATHESIS = """
workers = 1
request-timeout = 10
color = false
[checks]
enabled = false
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_schema_conformance.enabled = true
[phases]
examples.enabled = false
stateful.enabled = false
[generation]
deterministic = true
max-examples = 12
[parameters]
"path.token_ref" = { dictionary = "tokens", probability = 0.5 }
"query.token_id" = { dictionary = "tokens", probability = 0.5 }
"body.token_id" = { dictionary = "tokens", probability = 0.5 }
"body.asset" = { dictionary = "assets", probability = 0.5 }
"path.order_id" = { dictionary = "orders", probability = 0.5 }
"path.ref" = { dictionary = "categories", probability = 0.5 }
"body.address" = { dictionary = "addresses", probability = 0.5 }
"body.creator_wallet_address" = { dictionary = "addresses", probability = 0.5 }
"""


def schemathesis(server: Server, workdir: Path, known: dict[str, list[str]], *arguments: str) -> subprocess.CompletedProcess[str]:
    dictionaries = "".join(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n" for name, values in known.items())
    config = workdir / "schemathesis.toml"
    config.write_text(SCHEMATHESIS + dictionaries)
    command = [str(BIN / "schemathesis"), "--config-file", str(config), "run", server.url + "/schema/openapi.json", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=workdir)


def test_generated_requests_never_get_a_5xx_or_an_undocumented_answer(
    admin_server: tuple[Server, Wallet], tmp_path: Path
) -> None:
    server, admin = admin_server
    someone = Wallet.new()
    with server.client() as client:
        boss = {"address": admin.address, "auth": bearer(sign_in(client, admin))}
        user_tokens = sign_in(client, someone)
        user = {"address": someone.address, "auth": bearer(user_tokens)}
        known = seeded_market(client, boss, user, someone.address)  # type: ignore[arg-type]
        admin_token = sign_in(client, admin)["access_token"]  # sessions of their own: the seed's stay apart
        user_token = sign_in(client, someone)["access_token"]
    runs = {
        "anonymous": (),
        # logout ends the session every later request rides on; it is exercised anonymously here and in test_auth.
        "user": ("-H", f"Authorization: Bearer {user_token}", "--exclude-path", f"{API}/auth/logout"),
        "admin": ("-H", f"Authorization: Bearer {admin_token}", "--exclude-path", f"{API}/auth/logout"),
    }
    for who, arguments in runs.items():
        run = schemathesis(server, tmp_path, known, *arguments)
        assert run.returncode == 0, f"as {who}:\n{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
        if who != "anonymous":  # a user meets 403 on admin routes; a 401-only route means the token died mid-run
            assert "401 Unauthorized (" not in run.stdout, f"as {who}: the token stopped working\n{run.stdout[-5000:]}"
        # A documented 503 can hide a broken view (a listing once stored a price no view could hold, and
        # every market read answered read_model_behind from then on): the views must still keep up.
        status = server.cli("projections", "status")
        assert status.returncode == 0, status.stderr
        head = status.stdout.splitlines()[1].split()[2]
        with server.client() as client:
            auth = bearer(sign_in(client, someone))
            for path in ("/categories", "/users/me", "/orders", "/tokens/ALICE/transactions", "/tokens"):
                answer = client.get(API + path, params={"min_position": head} if path != "/tokens" else None, headers=auth)
                assert answer.status_code == 200, f"after the run as {who}: {path} answers {answer.text}"
