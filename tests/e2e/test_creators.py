"""The creator side through a real server (CREATORS.md): sign the agreement with a real wallet, check a symbol,
apply (with and without an invitation), an admin approves, the creator edits a full profile, others follow them
and read their feed, and buy the token; every refusal changes nothing; a restart keeps it all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import Wallet

POSITION = "X-Event-Position"


class Person:
    def __init__(self, client: httpx.Client, wallet: Wallet | None = None) -> None:
        self.client, self.wallet = client, wallet or Wallet.new()
        self.refresh()

    def refresh(self) -> None:
        self.headers = bearer(sign_in(self.client, self.wallet))

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(f"{API}{path}", params=params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.client.post(f"{API}{path}", json=body if body is not None else {}, headers=self.headers)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.client.patch(f"{API}{path}", json=body, headers=self.headers)

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(f"{API}{path}", headers=self.headers)

    def sign_agreement(self) -> dict[str, Any]:
        (agreement,) = [d for d in self.client.get(f"{API}/documents").json() if d["kind"] == "creator_agreement"]
        message = self.get(f"/documents/{agreement['id']}/signing-message").json()["message"]
        signed = self.post(f"/documents/{agreement['id']}/signatures", {"message": message, "signature": self.wallet.sign(message)})
        assert signed.status_code in (200, 201), signed.text
        return signed.json()


def application(symbol: str, handle: str, **extra: Any) -> dict[str, Any]:
    return {
        "display_name": handle.title(), "handle": handle, "category": "music", "token_symbol": symbol,
        "token_name": f"{handle.title()} Coin", "headline": "Songs", "bio": "I write songs",
        "profile_urls": [f"https://x.com/{handle}"], **extra,
    }


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert (response.status_code, response.json().get("code")) == (status, code), response.text
    return response.json()


@pytest.fixture
def world(start_server: Callable[..., Server]) -> tuple[Server, httpx.Client, Person]:
    admin_wallet = Wallet.new()
    server = start_server(PEOPLECOIN_ADMIN_ADDRESSES=admin_wallet.address, PEOPLECOIN_RATE_LIMITS="off")
    client = server.client()
    admin = Person(client, admin_wallet)
    published = admin.post("/admin/documents", {"kind": "creator_agreement", "title": "Creator agreement", "body": "Be kind."})
    assert published.status_code == 201, published.text
    return server, client, admin


def test_the_whole_journey_of_a_creator(world: tuple[Server, httpx.Client, Person]) -> None:
    server, client, admin = world
    alice, bob = Person(client), Person(client)

    # the symbol is free; applying before signing the agreement is refused and changes nothing
    assert client.get(f"{API}/token-symbols/available", params={"symbol": "alice"}).json() == {
        "symbol": "ALICE", "available": True, "reason": None,
    }
    refused(alice.post("/creators/apply", application("ALICE", "alice")), 409, "agreement_not_signed")
    signature = alice.sign_agreement()
    assert signature["wallet_address"] == alice.wallet.address and len(signature["content_hash"]) == 64
    assert [s["id"] for s in alice.get("/users/me/signatures").json()] == [signature["id"]]

    applied = alice.post("/creators/apply", application("ALICE", "alice"))
    assert applied.status_code == 201, applied.text
    app = applied.json()
    assert (app["status"], app["token_symbol"], app["invited"]) == ("pending", "ALICE", False)
    assert bob.get("/token-symbols/available", symbol="ALICE").json()["reason"] == "pending"
    refused(alice.post("/creators/apply", application("OTHER", "other")), 409, "application_pending")
    bob.sign_agreement()
    body = refused(bob.post("/creators/apply", application("ALICE", "bob")), 409, "symbol_unavailable")
    assert body["reason"] == "pending"
    refused(bob.post("/creators/apply", application("BOB", "alice")), 409, "handle_taken")
    refused(bob.post("/creators/apply", application("BOB", "bob", invitation_code="NOPE-NOPE")), 422, "invalid_invitation")

    # an invitation: bob applies with it; its one use is gone after that
    invitation = admin.post("/admin/invitations", {"note": "friends", "max_uses": 1}).json()
    bobs = bob.post("/creators/apply", application("BOB", "bob", invitation_code=invitation["code"]))
    assert bobs.status_code == 201 and bobs.json()["invited"] is True, bobs.text
    carol = Person(client)
    carol.sign_agreement()
    refused(carol.post("/creators/apply", application("CAROL", "carol", invitation_code=invitation["code"])), 409, "invitation_used")

    # review: alice approved, bob rejected; a decided application stays decided
    pending = admin.get("/admin/applications", status="pending", min_position=bobs.headers[POSITION]).json()["items"]
    assert {a["handle"] for a in pending} == {"alice", "bob"}
    approved = admin.post(f"/admin/applications/{app['id']}/approve", {"total_supply": "1000000", "initial_price": "1.00"})
    assert approved.status_code == 200, approved.text
    creator_id, token_id = approved.json()["creator_id"], approved.json()["token_id"]
    assert approved.json()["status"] == "approved" and creator_id and token_id
    refused(admin.post(f"/admin/applications/{app['id']}/reject", {"reason": "late"}), 409, "application_decided")
    rejected = admin.post(f"/admin/applications/{bobs.json()['id']}/reject", {"reason": "not yet"})
    assert rejected.json()["status"] == "rejected", rejected.text
    assert bob.get("/token-symbols/available", symbol="BOB").json()["available"] is True  # freed

    # the role arrives with the next token; the profile is edited in full
    refused(alice.patch("/creators/me", {"headline": "x"}), 403, "not_a_creator")
    alice.refresh()
    edit = {
        "display_name": "Alice A.", "headline": "Singer, songwriter", "bio": "**Markdown** kept\n\tas given",
        "avatar_url": "https://cdn.example.com/alice.png", "banner_url": None, "category": "music",
        "location": "Lisbon", "website": "https://alice.example",
        "links": [{"platform": "x", "url": "https://x.com/alice"}, {"platform": "youtube", "url": "https://youtube.com/@alice"}],
        "skills": [{"name": "guitar", "level": 5}, {"name": "singing", "level": None}],
        "achievements": [{"title": "Gold record", "description": "an album", "date": "2024-02-29"}],
        "work_experiences": [{"title": "Singer", "organization": "Band", "start_date": "2019-01-01", "end_date": None, "description": None}],
        "education": [{"institution": "Conservatory", "degree": "BA", "field": "Music", "start_date": "2015-09-01", "end_date": "2019-06-30"}],
        "content_sections": [{"title": "About", "body": "me"}, {"title": "Tour", "body": "dates"}],
    }
    edited = alice.patch("/creators/me", edit)
    assert edited.status_code == 200, edited.text
    profile = edited.json()
    assert profile["id"] == creator_id and profile["handle"] == "alice" and profile["token"]["symbol"] == "ALICE"
    assert [s["position"] for s in profile["content_sections"]] == [1, 2] and profile["links"] == edit["links"]
    assert (profile["token"]["price"], profile["token"]["market_cap"]) == ("1", "1000000")  # the listing price, no trade yet
    for ref in ("alice", "ALICE", "Alice", creator_id):
        assert client.get(f"{API}/creators/{ref}").json()["id"] == creator_id
    refused(client.get(f"{API}/creators/nobody"), 404, "creator_not_found")
    refused(alice.patch("/creators/me", {"display_name": "x" * 81}), 422, "validation_error")
    refused(alice.patch("/creators/me", {"bio": "bad\u0000"}), 422, "invalid_text")
    refused(alice.patch("/creators/me", {"website": "javascript:alert(1)"}), 422, "validation_error")
    assert client.get(f"{API}/creators/alice").json()["display_name"] == "Alice A."  # nothing changed by the refusals

    # followers and their feed
    refused(alice.post("/creators/alice/follow"), 422, "cannot_follow_self")
    for _ in range(2):
        followed = bob.post("/creators/ALICE/follow")
        assert followed.json() == {"following": True, "followers_count": 1}, followed.text
    assert [c["handle"] for c in bob.get("/users/me/following").json()["items"]] == ["alice"]
    feed = bob.get("/creators/feed", min_position=followed.headers[POSITION]).json()["items"]
    assert [i["type"] for i in feed][:3] == ["section_published", "section_published", "profile_updated"]
    assert feed[-1]["type"] == "token_listed" and feed[0]["creator"]["handle"] == "alice"
    assert carol.get("/creators/feed").json()["items"] == []
    assert bob.delete("/creators/alice/follow").json() == {"following": False, "followers_count": 0}
    assert bob.delete("/creators/alice/follow").json() == {"following": False, "followers_count": 0}

    # the token trades: bob buys what alice offers
    assert alice.post("/orders", {"token_id": "ALICE", "side": "sell", "type": "limit", "price": "1.10", "quantity": "10"}).status_code == 201
    admin.post("/admin/deposits", {"address": bob.wallet.address, "asset": "USD", "amount": "100"})
    bought = bob.post("/orders", {"token_id": "ALICE", "side": "buy", "type": "limit", "price": "1.10", "quantity": "10"})
    assert bought.json()["order"]["status"] == "filled", bought.text

    # lists, sorted by live figures, and trending
    dave = Person(client)
    admin.post("/admin/creators", {"wallet_address": dave.wallet.address, "handle": "dave", "display_name": "Dave", "category": "art"})
    listed = client.get(f"{API}/creators", params={"min_position": bought.headers[POSITION]}).json()["items"]
    assert [c["handle"] for c in listed] == ["alice", "dave"]  # alice has a market cap; dave no token
    assert listed[0]["token"]["price"] == "1.1" and listed[1]["token"] is None
    assert [c["handle"] for c in client.get(f"{API}/creators", params={"category": "art"}).json()["items"]] == ["dave"]
    assert [c["handle"] for c in client.get(f"{API}/creators", params={"sort": "newest"}).json()["items"]] == ["dave", "alice"]
    first = client.get(f"{API}/creators", params={"limit": 1}).json()
    second = client.get(f"{API}/creators", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [c["handle"] for c in first["items"] + second["items"]] == ["alice", "dave"] and second["next_cursor"] is None
    refused(client.get(f"{API}/creators", params={"sort": "loudest"}), 422, "validation_error")
    found = client.get(f"{API}/creators/search", params={"q": "ali sing"}).json()["items"]
    assert [c["handle"] for c in found] == ["alice"] and found[0]["token"]["symbol"] == "ALICE"
    assert [c["handle"] for c in client.get(f"{API}/creators/search", params={"q": "DAVE"}).json()["items"]] == ["dave"]
    assert client.get(f"{API}/creators/search", params={"q": "alice OR 1=1 --"}).json()["items"] == []
    for blank in ("", "   ", "*:()\\"):
        refused(client.get(f"{API}/creators/search", params={"q": blank}), 422, "invalid_query")
    topic = admin.post("/admin/trending-topics", {"title": "Tour season", "tags": ["music"], "creator_ids": ["alice"]})
    assert topic.status_code == 201 and topic.json()["creator_ids"] == [creator_id], topic.text
    trending = client.get(f"{API}/trending", params={"min_position": topic.headers[POSITION]}).json()
    assert trending["creators"][0]["handle"] == "alice" and trending["creators"][0]["score"] > 0
    assert "volume_24h" in trending["creators"][0]["reasons"]
    assert [t["title"] for t in trending["topics"]] == ["Tour season"]
    assert admin.delete(f"/admin/trending-topics/{topic.json()['id']}").status_code == 200
    refused(admin.delete(f"/admin/trending-topics/{topic.json()['id']}"), 404, "topic_not_found")

    # a restart keeps everything
    server.kill()
    server.start()
    again = server.client()
    after = again.get(f"{API}/creators/alice").json()
    assert (after["display_name"], after["followers_count"], after["token"]["price"]) == ("Alice A.", 0, "1.1")
    assert again.get(f"{API}/token-symbols/available", params={"symbol": "ALICE"}).json()["reason"] == "taken"


def test_hostile_input_to_the_creator_side_is_refused_with_a_code(world: tuple[Server, httpx.Client, Person]) -> None:
    _, client, admin = world
    mallory = Person(client)
    mallory.sign_agreement()
    for body, status, code in [
        (application("A", "mallory"), 409, "symbol_unavailable"),
        (application("USD", "mallory"), 409, "symbol_unavailable"),
        (application("MAL", "ma"), 422, "invalid_handle"),
        (application("MAL", "search"), 422, "invalid_handle"),
        (application("MAL", "mallory", display_name="x" * 81), 422, "validation_error"),
        (application("MAL", "mallory", bio="\u001b[31m"), 422, "invalid_text"),
        (application("MAL", "mallory", category="no-such-thing"), 422, "validation_error"),
        (application("MAL", "mallory", profile_urls=["file:///etc/passwd"]), 422, "validation_error"),
        ({"handle": "mallory"}, 422, "validation_error"),
        ({**application("MAL", "mallory"), "extra": 1}, 422, "validation_error"),
    ]:
        refused(mallory.post("/creators/apply", body), status, code)
    assert mallory.get("/creators/applications/me").json() == []
    (agreement,) = client.get(f"{API}/documents").json()
    message = mallory.get(f"/documents/{agreement['id']}/signing-message").json()["message"]
    other = Wallet.new()
    refused(mallory.post(f"/documents/{agreement['id']}/signatures", {"message": message, "signature": other.sign(message)}), 401, "invalid_signature")
    refused(mallory.post(f"/documents/{agreement['id']}/signatures", {"message": "hello", "signature": mallory.wallet.sign("hello")}), 401, "invalid_signature")
    refused(mallory.post("/admin/invitations", {"max_uses": 1}), 403, "forbidden")
    refused(client.post(f"{API}/creators/apply", json=application("MAL", "mallory")), 401, "missing_token")
    refused(admin.post("/admin/applications/00000000-0000-0000-0000-000000000000/approve", {"total_supply": "1"}), 404, "application_not_found")
    assert client.get(f"{API}/token-symbols/available", params={"symbol": "a b"}).json()["reason"] == "invalid"
