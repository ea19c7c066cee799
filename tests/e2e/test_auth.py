"""Sign-in with a Sui wallet, sessions, roles, email and rate limits, through a real server process."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import bearer, challenge, sign_in
from tests.support.wallets import ED25519, SCHEMES, SECP256K1, SECP256R1, Wallet, high_s, with_flag

API = "/api/v1"


def log_head(server: Server) -> int:
    status = server.cli("projections", "status")
    assert status.returncode == 0, status.stderr
    return int(re.search(r"^users\s+\d+\s+(\d+)", status.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_wallet_of_each_scheme_signs_in_and_reads_its_own_profile(server: Server, scheme: str) -> None:
    wallet = Wallet.new(SCHEMES[scheme])
    with server.client() as client:
        nonce = challenge(client, wallet)
        assert nonce["message"].splitlines()[1] == wallet.address
        assert f"Nonce: {nonce['nonce']}" in nonce["message"]
        tokens = sign_in(client, wallet)
        assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
        assert tokens["user"]["wallet_address"] == wallet.address and tokens["user"]["roles"] == ["user"]
        me = client.get(f"{API}/users/me", headers=bearer(tokens))
        assert me.status_code == 200, me.text
        assert me.json() == tokens["user"]
        again = sign_in(client, wallet)
        assert again["user"]["id"] == tokens["user"]["id"]


def test_each_bad_sign_in_is_a_401_with_its_own_code_and_changes_nothing(server: Server) -> None:
    alice, mallory = Wallet.new(ED25519), Wallet.new(ED25519)
    k1 = Wallet.new(SECP256K1)
    with server.client() as client:
        replayed = challenge(client, alice)
        replay_body = {"address": alice.address, "message": replayed["message"], "signature": alice.sign(replayed["message"])}
        assert client.post(f"{API}/auth/verify", json=replay_body).status_code == 200
        head = log_head(server)

        def attempt(wallet: Wallet, make: Callable[[str], dict[str, str]]) -> httpx.Response:
            message = challenge(client, wallet)["message"]
            return client.post(f"{API}/auth/verify", json=make(message))

        cases = {
            "nonce_used": client.post(f"{API}/auth/verify", json=replay_body),
            "message_mismatch": attempt(
                alice, lambda m: {"address": alice.address, "message": m.replace("Sign in to", "Sign into"), "signature": alice.sign(m.replace("Sign in to", "Sign into"))}
            ),
            "address_mismatch": attempt(alice, lambda m: {"address": alice.address, "message": m, "signature": mallory.sign(m)}),
            "nonce_address_mismatch": attempt(alice, lambda m: {"address": mallory.address, "message": m, "signature": mallory.sign(m)}),
            "non_canonical_signature": attempt(k1, lambda m: {"address": k1.address, "message": m, "signature": high_s(k1.sign(m))}),
            "unsupported_signature_scheme": attempt(alice, lambda m: {"address": alice.address, "message": m, "signature": with_flag(alice.sign(m), 0x05)}),
            "malformed_signature": attempt(alice, lambda m: {"address": alice.address, "message": m, "signature": "%%not base64%%"}),
            "invalid_signature": attempt(alice, lambda m: {"address": alice.address, "message": m, "signature": alice.sign(m + " ")}),
            "nonce_unknown": client.post(
                f"{API}/auth/verify",
                json={"address": alice.address, "message": replayed["message"].replace(replayed["nonce"], "f" * 32), "signature": alice.sign("x")},
            ),
        }
        for code, response in cases.items():
            assert response.status_code == 401, (code, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["code"] == code, (code, response.text)
        assert client.post(f"{API}/auth/verify", json={"address": "0x12", "message": "m", "signature": "s"}).status_code == 422
    assert log_head(server) == head


def test_an_expired_challenge_is_refused(start_server: Callable[..., Server]) -> None:
    import time

    server = start_server(PEOPLECOIN_AUTH_CHALLENGE_SECONDS="1")
    wallet = Wallet.new(SECP256R1)
    with server.client() as client:
        message = challenge(client, wallet)["message"]
        time.sleep(1.2)
        response = client.post(f"{API}/auth/verify", json={"address": wallet.address, "message": message, "signature": wallet.sign(message)})
    assert response.status_code == 401 and response.json()["code"] == "nonce_expired"


def test_parallel_verifies_of_one_signature_give_exactly_one_session(server: Server) -> None:
    wallet = Wallet.new(ED25519)
    with server.client() as client:
        message = challenge(client, wallet)["message"]
    body = {"address": wallet.address, "message": message, "signature": wallet.sign(message)}

    def verify(_: int) -> int:
        with server.client() as c:
            return c.post(f"{API}/auth/verify", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(verify, range(8)))
    assert statuses == [200] + [401] * 7


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_session(server: Server) -> None:
    with server.client() as client:
        first = sign_in(client, Wallet.new(SECP256K1))
        rotated = client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert rotated.status_code == 200, rotated.text
        second = rotated.json()
        assert second["refresh_token"] != first["refresh_token"] and second["user"]["id"] == first["user"]["id"]
        assert client.get(f"{API}/users/me", headers=bearer(second)).status_code == 200
        reused = client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert (reused.status_code, reused.json()["code"]) == (401, "refresh_token_reused")
        after = client.post(f"{API}/auth/refresh", json={"refresh_token": second["refresh_token"]})
        assert (after.status_code, after.json()["code"]) == (401, "session_revoked")
        me = client.get(f"{API}/users/me", headers=bearer(second))
        assert (me.status_code, me.json()["code"]) == (401, "session_revoked")
        garbage = client.post(f"{API}/auth/refresh", json={"refresh_token": "garbage"})
        assert (garbage.status_code, garbage.json()["code"]) == (401, "invalid_refresh_token")


def test_logout_ends_the_session_at_once_and_leaves_others_alone(server: Server) -> None:
    wallet = Wallet.new(ED25519)
    with server.client() as client:
        phone, laptop = sign_in(client, wallet), sign_in(client, wallet)
        assert client.post(f"{API}/auth/logout", headers=bearer(phone)).status_code == 204
        me = client.get(f"{API}/users/me", headers=bearer(phone))
        assert (me.status_code, me.json()["code"]) == (401, "session_revoked")
        refreshed = client.post(f"{API}/auth/refresh", json={"refresh_token": phone["refresh_token"]})
        assert refreshed.json()["code"] == "session_revoked"
        assert client.get(f"{API}/users/me", headers=bearer(laptop)).status_code == 200
        assert client.post(f"{API}/auth/logout").json()["code"] == "missing_token"


def test_admin_endpoints_need_the_admin_role(start_server: Callable[..., Server]) -> None:
    admin, user = Wallet.new(ED25519), Wallet.new(SECP256R1)
    server = start_server(PEOPLECOIN_ADMIN_ADDRESSES=admin.address.upper().replace("0X", "0x"))
    with server.client() as client:
        admin_tokens, user_tokens = sign_in(client, admin), sign_in(client, user)
        assert admin_tokens["user"]["roles"] == ["user", "admin"]
        body = {"name": "Street Art"}
        anonymous = client.post(f"{API}/admin/categories", json=body)
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "missing_token")
        refused = client.post(f"{API}/admin/categories", json=body, headers=bearer(user_tokens))
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        added = client.post(f"{API}/admin/categories", json=body, headers=bearer(admin_tokens))
        assert added.status_code == 201, added.text
        assert added.json()["slug"] == "street-art"
        renamed = client.patch(f"{API}/admin/categories/street-art", json={"name": "Murals"}, headers=bearer(admin_tokens))
        assert renamed.status_code == 200 and renamed.json()["name"] == "Murals"
        taken = client.post(f"{API}/admin/categories", json={"name": "murals"}, headers=bearer(admin_tokens))
        assert (taken.status_code, taken.json()["code"]) == (409, "category_exists")


def test_usernames_are_unique_and_freed_when_changed(server: Server) -> None:
    with server.client() as client:
        ann, bob = sign_in(client, Wallet.new(ED25519)), sign_in(client, Wallet.new(SECP256K1))
        set_ann = client.patch(f"{API}/users/me", json={"username": "Painter", "bio": "oils\nand more"}, headers=bearer(ann))
        assert set_ann.status_code == 200, set_ann.text
        assert (set_ann.json()["username"], set_ann.json()["bio"]) == ("painter", "oils\nand more")
        clash = client.patch(f"{API}/users/me", json={"username": "painter"}, headers=bearer(bob))
        assert (clash.status_code, clash.json()["code"]) == (409, "username_taken")
        bad = client.patch(f"{API}/users/me", json={"username": "no"}, headers=bearer(bob))
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_username")
        moved = client.patch(f"{API}/users/me", json={"username": "sculptor"}, headers=bearer(ann))
        position = moved.headers["x-event-position"]
        assert client.patch(f"{API}/users/me", json={"username": "painter"}, headers=bearer(bob)).status_code == 200
        me = client.get(f"{API}/users/me", params={"min_position": position}, headers=bearer(ann)).json()
        assert (me["username"], me["bio"]) == ("sculptor", "oils\nand more")
        cleared = client.patch(f"{API}/users/me", json={"bio": None}, headers=bearer(ann)).json()
        assert cleared["bio"] is None and cleared["username"] == "sculptor"
        unknown_field = client.patch(f"{API}/users/me", json={"wallet_address": "0x0"}, headers=bearer(ann))
        assert unknown_field.status_code == 422


def read_code(server: Server, to: str) -> str:
    mail_dir = Path(server.env["PEOPLECOIN_DATA_DIR"]) / "mail"
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(mail_dir.glob("*.eml"))]
    latest = [m for m in mails if to in str(m["To"])][-1]
    return re.search(r"\b(\d{6})\b", latest.get_content()).group(1)  # type: ignore[union-attr]


def test_an_email_is_verified_with_the_code_it_received(start_server: Callable[..., Server]) -> None:
    server = start_server()
    with server.client() as client:
        tokens = sign_in(client, Wallet.new(ED25519))
        sent = client.post(f"{API}/users/me/email", json={"email": "ann@Example.COM"}, headers=bearer(tokens))
        assert sent.status_code == 202, sent.text
        assert sent.json()["email"] == "ann@example.com"
        code = read_code(server, "ann@example.com")
        wrong = str((int(code) + 1) % 1_000_000).zfill(6)
        refused = client.post(f"{API}/users/me/email/verify", json={"code": wrong}, headers=bearer(tokens))
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_email_code")
        verified = client.post(f"{API}/users/me/email/verify", json={"code": code}, headers=bearer(tokens))
        assert verified.status_code == 200, verified.text
        assert (verified.json()["email"], verified.json()["email_verified"]) == ("ann@example.com", True)
        position = verified.headers["x-event-position"]
        me = client.get(f"{API}/users/me", params={"min_position": position}, headers=bearer(tokens)).json()
        assert (me["email"], me["email_verified"]) == ("ann@example.com", True)
        again = client.post(f"{API}/users/me/email", json={"email": "ann2@example.com"}, headers=bearer(tokens))
        assert (again.status_code, again.json()["code"]) == (429, "email_code_cooldown")
        assert int(again.headers["retry-after"]) > 0
        invalid = client.post(f"{API}/users/me/email", json={"email": "not an email"}, headers=bearer(tokens))
        assert (invalid.status_code, invalid.json()["code"]) == (422, "invalid_email")


def test_five_wrong_codes_use_up_the_code(start_server: Callable[..., Server]) -> None:
    server = start_server()
    with server.client() as client:
        tokens = sign_in(client, Wallet.new(SECP256R1))
        client.post(f"{API}/users/me/email", json={"email": "bo@example.org"}, headers=bearer(tokens))
        code = read_code(server, "bo@example.org")
        wrong = str((int(code) + 1) % 1_000_000).zfill(6)
        lefts = []
        for _ in range(5):
            answer = client.post(f"{API}/users/me/email/verify", json={"code": wrong}, headers=bearer(tokens)).json()
            lefts.append(answer["detail"])
        assert "0 attempt(s) left" in lefts[-1]
        exhausted = client.post(f"{API}/users/me/email/verify", json={"code": code}, headers=bearer(tokens))
        assert (exhausted.status_code, exhausted.json()["code"]) == (422, "email_code_attempts_exhausted")


def test_rate_limits_answer_429_with_retry_after_and_count_users_apart_from_ips(start_server: Callable[..., Server]) -> None:
    server = start_server(PEOPLECOIN_RATE_LIMITS="public=6/minute,authenticated=5/minute,trading=2/minute")
    with server.client() as client:
        tokens = sign_in(client, Wallet.new(ED25519))  # two public requests
        first = client.get(f"{API}/categories")
        assert first.headers["ratelimit-limit"] == "6" and first.headers["ratelimit-policy"] == "6; w=60"
        assert int(first.headers["ratelimit-remaining"]) == 3
        for _ in range(3):
            assert client.get(f"{API}/categories").status_code == 200
        limited = client.get(f"{API}/categories")
        assert limited.status_code == 429
        assert limited.json()["code"] == "rate_limited"
        assert 0 < int(limited.headers["retry-after"]) <= 60
        assert limited.headers["ratelimit-remaining"] == "0"
        assert client.get("/health").status_code == 200  # operations endpoints are never limited
        for remaining in range(4, -1, -1):
            response = client.get(f"{API}/users/me", headers=bearer(tokens))
            assert response.status_code == 200 and response.headers["ratelimit-remaining"] == str(remaining)
        assert client.get(f"{API}/users/me", headers=bearer(tokens)).status_code == 429
