"""HTTP hygiene through a real server: security headers everywhere, no-store where tokens are, CORS and proxies as configured."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from entrypoints.http.headers import API_POLICY, DOCS_POLICY
from tests.e2e.conftest import Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import Wallet

SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
}
# Headers are the same on every backend: one is enough here.
pytestmark = pytest.mark.parametrize("backend", ["embedded"])


def secured(response: httpx.Response, policy: str = API_POLICY) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, (response.request.url, name, response.headers)
    assert response.headers.get("content-security-policy") == policy


def test_every_answer_carries_the_security_headers_and_personal_ones_are_not_stored(server: Server) -> None:
    with server.client() as client:
        ok, missing, invalid = client.get("/health"), client.get("/no/such/path"), client.get(f"{API}/categories", params={"limit": 0})
        assert (ok.status_code, missing.status_code, invalid.status_code) == (200, 404, 422)
        for response in (ok, missing, invalid, client.post(f"{API}/auth/nonce", content=b"{")):
            secured(response)
            assert "cache-control" not in response.headers  # nothing personal: a cache may keep it
        signed_in = sign_in(client, Wallet.new())
        refreshed = client.post(f"{API}/auth/refresh", json={"refresh_token": signed_in["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        me = client.get(f"{API}/users/me", headers=bearer(refreshed.json()))
        refused = client.get(f"{API}/users/me", headers={"Authorization": "Bearer nonsense"})
        for response in (refreshed, me, refused):
            secured(response)
            assert response.headers["cache-control"] == "no-store", response.request.url
        nonce = client.post(f"{API}/auth/nonce", json={"address": "0x" + "ab" * 32})
        assert nonce.status_code == 200 and "cache-control" not in nonce.headers


def test_the_sign_in_answer_with_its_tokens_is_not_stored(server: Server) -> None:
    wallet = Wallet.new()
    with server.client() as client:
        message = client.post(f"{API}/auth/nonce", json={"address": wallet.address}).json()["message"]
        answer = client.post(f"{API}/auth/verify", json={"address": wallet.address, "message": message, "signature": wallet.sign(message)})
    assert answer.status_code == 200 and "access_token" in answer.json()
    assert answer.headers["cache-control"] == "no-store"


def test_the_reference_pages_may_load_what_they_need_and_nothing_else(server: Server) -> None:
    directives = dict(d.strip().split(" ", 1) for d in DOCS_POLICY.split(";"))
    with server.client() as client:
        for page in ("/schema", "/schema/swagger"):
            answer = client.get(page)
            assert answer.status_code == 200, page
            secured(answer, DOCS_POLICY)
            scripts = re.findall(r"<script[^>]*\ssrc=[\"']([^\"']+)", answer.text)
            styles = re.findall(r"<link[^>]*rel=[\"']stylesheet[\"'][^>]*href=[\"']([^\"']+)|<link[^>]*href=[\"']([^\"']+)[\"'][^>]*rel=[\"']stylesheet", answer.text)
            icons = re.findall(r"<link[^>]*rel=[\"']icon[\"'][^>]*href=[\"']([^\"']+)", answer.text)
            assert scripts, answer.text[:500]
            for kind, urls in (("script-src", scripts), ("style-src", [a or b for a, b in styles]), ("img-src", icons)):
                for url in urls:
                    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
                    allowed = directives[kind].split()
                    assert origin in allowed or "https:" in allowed, (page, kind, url)
        assert client.get("/schema/openapi.json").headers["content-security-policy"] == DOCS_POLICY


def test_cors_answers_only_the_configured_origins(start_server: Callable[..., Server]) -> None:
    allowed, stranger = "https://app.example.com", "https://evil.example.net"
    server = start_server(PEOPLECOIN_CORS_ORIGINS=f"{allowed}, http://localhost:5173")

    def preflight(client: httpx.Client, origin: str) -> httpx.Response:
        return client.options(
            f"{API}/orders",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"},
        )

    with server.client() as client:
        yes = preflight(client, allowed)
        assert yes.status_code == 204, yes.text
        assert yes.headers["access-control-allow-origin"] == allowed
        assert {"authorization", "content-type"} <= {h.strip().lower() for h in yes.headers["access-control-allow-headers"].split(",")}
        assert "POST" in yes.headers["access-control-allow-methods"]
        no = preflight(client, stranger)
        assert no.status_code == 400 and "access-control-allow-origin" not in no.headers
        simple = client.get(f"{API}/categories", headers={"Origin": allowed})
        assert simple.headers["access-control-allow-origin"] == allowed
        assert "x-event-position" in simple.headers["access-control-expose-headers"].lower()
        assert "access-control-allow-origin" not in client.get(f"{API}/categories", headers={"Origin": stranger}).headers
    unconfigured = start_server()
    with unconfigured.client() as client:
        answer = preflight(client, allowed)
        assert not any(name.startswith("access-control-") for name in answer.headers), answer.headers


def client_seen(server: Server, marker: str) -> str:
    """The client address uvicorn's access log gave the request to ``marker``."""
    for record in server.log_records():
        message = str(record.get("message", ""))
        if marker in message and record.get("logger") == "uvicorn.access":
            return message.split(" - ", 1)[0].rsplit(":", 1)[0]
    raise AssertionError(f"no access log line for {marker}:\n{server.log()[-2000:]}")


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [("127.0.0.0/8, ::1", "203.0.113.7"), ("10.0.0.0/8", "127.0.0.1"), ("", "127.0.0.1")],
)
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(start_server: Callable[..., Server], trusted: str, seen: str) -> None:
    server = start_server(PEOPLECOIN_TRUSTED_PROXIES=trusted, PEOPLECOIN_ACCESS_LOG="on")
    with server.client() as client:
        assert client.get("/health?from=proxy", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    assert client_seen(server, "/health?from=proxy") == seen
