"""The OpenAPI document is complete and the server keeps to it.

The document is checked against what the server does, not against the
code that writes it: an operation that answers 401 without a token must say
so and carry the Bearer requirement, one that answers 403 to a plain user
must list 403, and so on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Server
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
            assert not any(status.startswith("5") and status != "503" for status in responses), where
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
    }
    for name, (found, wanted) in expected.items():
        assert sorted(found) == sorted(wanted), name
