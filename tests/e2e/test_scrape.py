"""POST /api/v1/scrape through a real server process, reading pages this test serves on 127.0.0.1.

The server refuses loopback unless PEOPLECOIN_SCRAPE_ALLOW names the host,
so the servers that must reach the test's pages are started with
PEOPLECOIN_SCRAPE_ALLOW=127.0.0.1, and one without it shows the refusal.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import Wallet

pytestmark = pytest.mark.parametrize("backend", ["embedded"])  # nothing here is stored: one backend is enough
PROBLEM = "application/problem+json"
PERSON = {
    "@context": "https://schema.org",
    "@type": "ProfilePage",
    "mainEntity": {
        "@type": "Person",
        "name": "Alice Liddell",
        "alternateName": "@alice",
        "description": "Curious.",
        "image": "/avatars/alice-large.png",
        "interactionStatistic": {"interactionType": "https://schema.org/FollowAction", "userInteractionCount": 4321},
    },
}
PROFILE = f"""<!doctype html><html><head><meta charset="utf-8"><title>Alice (@alice)</title>
<meta property="og:title" content="Alice Liddell"><meta property="og:description" content="Down the rabbit hole.">
<meta property="og:image" content="/avatars/alice.png"><meta property="og:site_name" content="Wonderland Social">
<script type="application/ld+json">{json.dumps(PERSON)}</script></head><body>hi</body></html>""".encode()


class Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.path == "/go":
            self.send_response(302)
            self.send_header("Location", "/alice")
            self.end_headers()
            return
        body, kind, status = {
            "/alice": (PROFILE, "text/html; charset=utf-8", 200),
            "/data.json": (b"{}", "application/json", 200),
        }.get(self.path, (b"gone", "text/html", 404))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pages() -> Iterator[str]:
    """The base URL of this test's page server on 127.0.0.1."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code, response.text


def test_a_signed_in_user_reads_a_profile_page_through_a_redirect(start_server: Callable[..., Server], pages: str) -> None:
    server = start_server(PEOPLECOIN_SCRAPE_ALLOW="127.0.0.1")
    with server.client() as client:
        auth = bearer(sign_in(client, Wallet.new()))
        answer = client.post(f"{API}/scrape", json={"url": f"{pages}/go"}, headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "url": f"{pages}/go",
        "final_url": f"{pages}/alice",
        "title": "Alice Liddell",
        "description": "Down the rabbit hole.",
        "image": f"{pages}/avatars/alice.png",
        "site_name": "Wonderland Social",
        "profile": {
            "name": "Alice Liddell",
            "handle": "alice",
            "bio": "Curious.",
            "avatar_url": f"{pages}/avatars/alice-large.png",
            "followers": 4321,
        },
    }


def test_anonymous_bad_bodies_and_unusable_pages_are_refused(start_server: Callable[..., Server], pages: str) -> None:
    server = start_server(PEOPLECOIN_SCRAPE_ALLOW="127.0.0.1")
    with server.client() as client:
        anonymous = client.post(f"{API}/scrape", json={"url": f"{pages}/alice"})
        refused(anonymous, 401, "missing_token")
        assert anonymous.headers["www-authenticate"] == "Bearer"
        auth = bearer(sign_in(client, Wallet.new()))
        for body in ({}, {"url": 42}, {"url": ""}, {"url": "x" * 3000}, {"url": f"{pages}/alice", "extra": 1}, []):
            refused(client.post(f"{API}/scrape", json=body, headers=auth), 422, "validation_error")
        malformed = client.post(f"{API}/scrape", content=b'{"url": ', headers={**auth, "Content-Type": "application/json"})
        refused(malformed, 400, "malformed_json")
        refused(client.post(f"{API}/scrape", json={"url": f"{pages}/missing"}, headers=auth), 422, "page_unusable")
        refused(client.post(f"{API}/scrape", json={"url": f"{pages}/data.json"}, headers=auth), 422, "page_unusable")
        for url in ("ftp://127.0.0.1/x", "file:///etc/passwd", "not a url"):
            refused(client.post(f"{API}/scrape", json={"url": url}, headers=auth), 422, "url_not_allowed")
        # the allow list names 127.0.0.1 exactly: another name for loopback is still refused
        port = pages.rsplit(":", 1)[1]
        localhost = client.post(f"{API}/scrape", json={"url": f"http://localhost:{port}/alice"}, headers=auth)
        refused(localhost, 422, "url_not_allowed")


def test_without_the_allow_list_loopback_and_private_addresses_are_refused(
    start_server: Callable[..., Server], pages: str
) -> None:
    server = start_server()
    with server.client() as client:
        auth = bearer(sign_in(client, Wallet.new()))
        port = pages.rsplit(":", 1)[1]
        for url in (
            f"{pages}/alice",
            f"http://localhost:{port}/alice",
            f"http://[::1]:{port}/alice",
            f"http://[::ffff:127.0.0.1]:{port}/alice",
            f"http://2130706433:{port}/alice",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            f"{server.url}/health",
        ):
            refused(client.post(f"{API}/scrape", json={"url": url}, headers=auth), 422, "url_not_allowed")


def test_the_scrape_operation_documents_its_answers(server: Server) -> None:
    with server.client() as client:
        operation = client.get("/schema/openapi.json").json()["paths"][f"{API}/scrape"]["post"]
    assert {"200", "400", "401", "413", "422", "429", "504"} <= operation["responses"].keys()
    assert operation["security"] == [{"BearerToken": []}]
