"""Sign-in, refresh and logout through the Authentication service, on in-memory adapters and a fixed clock.

The @mysten/sui vectors drive the whole sign-in: our challenge for the
vector's nonce and time must be the vector's message byte for byte, every
valid signature signs in, and every invalid entry is refused, creating nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID

import pytest

from adapters.auth.jwt import JwtAccessTokens
from adapters.eventstore.memory import InMemoryEventStore
from adapters.keys.memory import InMemoryExpiringKeys
from adapters.pubsub.memory import InProcessPubSub
from adapters.sui.signatures import SuiSignatureVerifier
from application.handlers.auth import SESSIONS_REVOKED, AuthSettings, Authentication
from application.ports import SignatureRejected
from domain.identity.errors import (
    InvalidRefreshToken,
    RefreshTokenReused,
    SessionIsRevoked,
)
from domain.identity.session import Session
from domain.shared.errors import DomainError, Unauthenticated
from tests.vectors import sui_personal_message

VECTORS = sui_personal_message()
LOGINS = [v for v in VECTORS["valid"] if v["purpose"] == "login"]
SETTINGS = AuthSettings(domain="peoplecoin.example", uri="https://peoplecoin.example", network="mainnet")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now_value = now

    def now(self) -> datetime:
        return self.now_value


class Scripted:
    """Randomness that hands out the nonces we want, and counts for everything else."""

    def __init__(self, nonces: list[str] | None = None) -> None:
        self._nonces = list(nonces or [])
        self._n = count(1)

    def hex(self, nbytes: int) -> str:
        return self._nonces.pop(0) if self._nonces else f"{next(self._n):0{nbytes * 2}x}"

    def token(self, nbytes: int) -> str:
        return f"t{next(self._n)}"

    def digits(self, n: int) -> str:
        return str(next(self._n)).zfill(n)


class Ids:
    def __init__(self) -> None:
        self._n = count(1)

    def __call__(self) -> UUID:
        return UUID(int=next(self._n))


def service(
    clock: Clock,
    randomness: Scripted,
    store: InMemoryEventStore | None = None,
    admins: frozenset[str] = frozenset(),
    ids: Ids | None = None,
    announcements: InProcessPubSub | None = None,
) -> Authentication:
    return Authentication(
        store or InMemoryEventStore(),
        InMemoryExpiringKeys(),
        SuiSignatureVerifier(),
        JwtAccessTokens("x" * 40, clock),
        clock,
        ids or Ids(),
        randomness,
        AuthSettings(SETTINGS.domain, SETTINGS.uri, SETTINGS.network, admins),
        announcements or InProcessPubSub(),
    )


async def issue(auth: Authentication, clock: Clock, issued: dict[str, Any]) -> None:
    clock.now_value = at(issued["issued_at"])
    challenge = await auth.issue_challenge(issued["address"])
    assert challenge.message == issued["message"]


@pytest.mark.parametrize("entry", LOGINS, ids=[v["id"] for v in LOGINS])
async def test_our_challenge_is_the_vectors_message_and_its_signature_signs_in(entry: dict[str, Any]) -> None:
    clock = Clock(at(entry["issued_at"]))
    store = InMemoryEventStore()
    auth = service(clock, Scripted([entry["nonce"]]), store)
    await issue(auth, clock, {**entry, "address": entry["address"]})
    clock.now_value = at(entry["verify_at"])
    done = await auth.sign_in(entry["address"], entry["message"], entry["signature"])
    assert done.value.user.wallet_address == entry["address"]
    assert done.value.tokens.claims.roles == ("user",)
    claims = await auth.authenticate(done.value.tokens.access_token)
    assert claims.user_id == done.value.user.id and claims.address == entry["address"]
    assert done.position == await store.head() == 2  # the user, then the session


def invalid_cases() -> list[dict[str, Any]]:
    return VECTORS["invalid"] + [p for p in VECTORS["policy_dependent"] if p["reference_verifier_expected"].startswith("reject")]


@pytest.mark.parametrize("entry", invalid_cases(), ids=[v["id"] for v in invalid_cases()])
async def test_every_invalid_vector_is_refused_and_creates_nothing(entry: dict[str, Any]) -> None:
    check = entry["check"]
    store = InMemoryEventStore()
    clock = Clock(at(check["verify_at"]))
    issued = check["issued"]
    auth = service(clock, Scripted([issued["nonce"]] if issued else []), store)
    if issued:
        await issue(auth, clock, issued)
    clock.now_value = at(check["verify_at"])
    with pytest.raises((DomainError, SignatureRejected)) as refused:
        await auth.sign_in(check["address"], check["message"], check["signature"])
    assert isinstance(refused.value, (Unauthenticated, SignatureRejected)), refused.value
    assert await store.head() == 0


async def test_an_upper_case_address_signs_in_as_the_lower_case_account() -> None:
    entry = next(p for p in VECTORS["policy_dependent"] if p["id"] == "policy-address-uppercase-hex")
    check = entry["check"]
    clock = Clock(at(check["verify_at"]))
    auth = service(clock, Scripted([check["issued"]["nonce"]]))
    await issue(auth, clock, check["issued"])
    clock.now_value = at(check["verify_at"])
    done = await auth.sign_in(check["address"], check["message"], check["signature"])
    assert done.value.user.wallet_address == check["address"].lower()


async def signed_in(auth: Authentication, clock: Clock, entry: dict[str, Any]) -> Any:
    await issue(auth, clock, entry)
    clock.now_value = at(entry["verify_at"])
    return (await auth.sign_in(entry["address"], entry["message"], entry["signature"])).value


async def test_two_verifies_of_one_signature_at_once_give_exactly_one_session() -> None:
    entry = LOGINS[0]
    clock = Clock(at(entry["issued_at"]))
    store = InMemoryEventStore()
    auth = service(clock, Scripted([entry["nonce"]]), store)
    await issue(auth, clock, entry)
    clock.now_value = at(entry["verify_at"])
    outcomes = await asyncio.gather(
        *(auth.sign_in(entry["address"], entry["message"], entry["signature"]) for _ in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert {getattr(o, "code", None) for o in outcomes if isinstance(o, BaseException)} == {"nonce_used"}
    assert await store.head() == 2


async def test_a_refresh_token_rotates_and_its_reuse_revokes_the_whole_family() -> None:
    entry = LOGINS[1]
    clock = Clock(at(entry["issued_at"]))
    store = InMemoryEventStore()
    auth = service(clock, Scripted([entry["nonce"]]), store)
    first = (await signed_in(auth, clock, entry)).tokens
    clock.now_value += timedelta(minutes=1)
    _, second = await auth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.claims.session_id == first.claims.session_id
    with pytest.raises(RefreshTokenReused):
        await auth.refresh(first.refresh_token)
    with pytest.raises(SessionIsRevoked):
        await auth.refresh(second.refresh_token)
    with pytest.raises(SessionIsRevoked):
        await auth.authenticate(second.access_token)
    session = Session.replay(first.claims.session_id, await store.read_stream(first.claims.session_id))
    assert session.revoked_because == "refresh_token_reused"


async def test_logout_stops_the_access_token_and_the_refresh_token_at_once() -> None:
    entry = LOGINS[3]
    clock = Clock(at(entry["issued_at"]))
    auth = service(clock, Scripted([entry["nonce"]]))
    tokens = (await signed_in(auth, clock, entry)).tokens
    await auth.logout(await auth.authenticate(tokens.access_token))
    with pytest.raises(SessionIsRevoked):
        await auth.authenticate(tokens.access_token)
    with pytest.raises(SessionIsRevoked):
        await auth.refresh(tokens.refresh_token)


async def test_an_expired_refresh_token_and_a_forged_one_are_refused() -> None:
    entry = LOGINS[4]
    clock = Clock(at(entry["issued_at"]))
    auth = service(clock, Scripted([entry["nonce"]]))
    tokens = (await signed_in(auth, clock, entry)).tokens
    with pytest.raises(InvalidRefreshToken):
        await auth.refresh("not-a-token")
    session_hex = tokens.refresh_token.split(".")[0]
    with pytest.raises(InvalidRefreshToken):
        await auth.refresh(f"{session_hex}.guessed")
    clock.now_value += timedelta(days=31)
    with pytest.raises(Unauthenticated) as expired:
        await auth.refresh(tokens.refresh_token)
    assert expired.value.code == "refresh_token_expired"


async def test_an_admin_address_gets_the_admin_role() -> None:
    entry = LOGINS[6]
    clock = Clock(at(entry["issued_at"]))
    auth = service(clock, Scripted([entry["nonce"]]), admins=frozenset({entry["address"]}))
    assert (await signed_in(auth, clock, entry)).tokens.claims.roles == ("user", "admin")


async def test_a_second_sign_in_of_one_wallet_is_the_same_user_with_a_new_session() -> None:
    entry = LOGINS[2]
    clock = Clock(at(entry["issued_at"]))
    store, ids = InMemoryEventStore(), Ids()
    first = await signed_in(service(clock, Scripted([entry["nonce"]]), store, ids=ids), clock, entry)
    # a fresh challenge store: the vector's nonce is spent in the first one
    second = await signed_in(service(clock, Scripted([entry["nonce"]]), store, ids=ids), clock, entry)
    assert second.user.id == first.user.id
    assert second.tokens.claims.session_id != first.tokens.claims.session_id
    assert await store.head() == 3


async def test_every_revocation_is_announced_with_its_session_id() -> None:
    entry = LOGINS[5 % len(LOGINS)]
    clock = Clock(at(entry["issued_at"]))
    announcements = InProcessPubSub()
    auth = service(clock, Scripted([entry["nonce"]]), announcements=announcements)
    async with announcements.subscribe([SESSIONS_REVOKED]) as heard:
        tokens = (await signed_in(auth, clock, entry)).tokens
        await auth.logout(await auth.authenticate(tokens.access_token))
        assert await asyncio.wait_for(anext(aiter(heard)), 5) == (SESSIONS_REVOKED, tokens.claims.session_id.hex.encode())
        assert await auth.is_revoked(tokens.claims.session_id)
