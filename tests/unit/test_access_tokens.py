"""Access tokens: a token's text is verified once and remembered, yet expiry is judged on every read and a
changed byte is never taken for a remembered token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

import adapters.auth.jwt as jwt_adapter
from adapters.auth.jwt import JwtAccessTokens
from application.ports import AccessClaims, TokenRejected

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET = "a secret of thirty-two characters or more"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


def claims(n: int = 1) -> AccessClaims:
    return AccessClaims(
        user_id=UUID(int=n), address="0x" + "a" * 64, session_id=UUID(int=100 + n), roles=("user",),
        issued_at=T0, expires_at=T0 + timedelta(minutes=15), token_id=f"t{n}",
    )


def test_a_remembered_token_still_expires_and_a_changed_one_is_still_refused() -> None:
    clock = Clock()
    tokens = JwtAccessTokens(SECRET, clock)
    token = tokens.issue(claims())
    assert tokens.read(token) == tokens.read(token) == claims()
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(TokenRejected) as refused:
        tokens.read(tampered)
    assert refused.value.code == "invalid_token"
    with pytest.raises(TokenRejected):  # a refusal is not remembered as a success either
        tokens.read(tampered)
    other = JwtAccessTokens("another secret of thirty-two characters", clock)
    with pytest.raises(TokenRejected):
        other.read(token)
    clock.at = T0 + timedelta(minutes=15)
    with pytest.raises(TokenRejected) as expired:
        tokens.read(token)
    assert expired.value.code == "token_expired"


def test_only_the_last_tokens_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt_adapter, "VERIFIED_KEPT", 3)
    tokens = JwtAccessTokens(SECRET, Clock())
    issued = [tokens.issue(claims(n)) for n in range(5)]
    for token in issued:
        tokens.read(token)
    assert list(tokens._verified) == issued[2:]
