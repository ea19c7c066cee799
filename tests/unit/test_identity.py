"""Users, usernames and email verification in the domain: given events, when a command, then events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.identity.errors import (
    EmailCodeAttemptsExhausted,
    EmailCodeCooldown,
    EmailCodeExpired,
    InvalidEmail,
    InvalidProfile,
    InvalidUsername,
    InvalidWalletAddress,
    NoEmailCode,
    UsernameTaken,
)
from domain.identity.events import EmailCodeRejected, EmailVerified, ProfileChanged, UserRegistered
from domain.identity.user import EmailCheck, ProfileChange, User, user_id_for, wallet_address
from domain.identity.username import UsernameClaim, normalise_username, username_stream

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ADDRESS = "0x" + "ab" * 32
ANN, BOB = UUID(int=1), UUID(int=2)


def registered() -> User:
    user = User(user_id_for(ADDRESS))
    user.register(ADDRESS, T0)
    user.collect_events()
    return user


def test_an_address_is_kept_in_lower_case_and_anything_else_is_refused() -> None:
    assert wallet_address(ADDRESS.upper().replace("0X", "0x")) == ADDRESS
    for bad in ["", "0x12", "ab" * 32, "0x" + "g" * 64, "0x" + "a" * 65]:
        with pytest.raises(InvalidWalletAddress):
            wallet_address(bad)


def test_the_user_id_is_the_same_for_the_same_wallet() -> None:
    assert user_id_for(ADDRESS) == user_id_for(ADDRESS) != user_id_for("0x" + "cd" * 32)


def test_registering_twice_records_one_event() -> None:
    user = User(user_id_for(ADDRESS))
    user.register(ADDRESS, T0)
    user.register(ADDRESS, T0)
    assert user.collect_events() == [UserRegistered(originator_id=user.id, originator_version=1, at=T0, wallet_address=ADDRESS)]


def test_a_profile_change_records_the_whole_profile_and_only_what_changed() -> None:
    user = registered()
    user.change_profile(ProfileChange(username="Ann_1", display_name="  Ann  "), T0)
    user.change_profile(ProfileChange(bio="line one\nline two"), T0)
    user.change_profile(ProfileChange(display_name="Ann"), T0)  # no change: no event
    assert user.collect_events() == [
        ProfileChanged(originator_id=user.id, originator_version=2, at=T0, username="ann_1", display_name="Ann", bio=None, avatar_url=None),
        ProfileChanged(originator_id=user.id, originator_version=3, at=T0, username="ann_1", display_name="Ann", bio="line one\nline two", avatar_url=None),
    ]


@pytest.mark.parametrize(
    "change",
    [
        ProfileChange(display_name="x" * 51),
        ProfileChange(display_name="tab\there"),
        ProfileChange(bio="y" * 501),
        ProfileChange(avatar_url="http://insecure.example/a.png"),
        ProfileChange(avatar_url="javascript:alert(1)"),
    ],
)
def test_bad_profile_values_are_refused_and_record_nothing(change: ProfileChange) -> None:
    user = registered()
    with pytest.raises(InvalidProfile):
        user.change_profile(change, T0)
    assert user.collect_events() == []


@pytest.mark.parametrize("name", ["ab", "1abc", "with space", "x" * 31, "admin", "Support", "émile"])
def test_bad_or_reserved_usernames_are_refused(name: str) -> None:
    with pytest.raises(InvalidUsername):
        normalise_username(name)


def test_a_claimed_username_is_refused_to_another_until_released() -> None:
    claim = UsernameClaim(username_stream("ann"))
    claim.claim("ann", ANN, T0)
    claim.claim("ann", ANN, T0)  # the holder again: nothing new
    with pytest.raises(UsernameTaken):
        claim.claim("ann", BOB, T0)
    claim.release("ann", BOB, T0)  # not the holder: nothing
    claim.release("ann", ANN, T0)
    claim.claim("ann", BOB, T0)
    assert [type(e).__name__ for e in claim.collect_events()] == ["UsernameClaimed", "UsernameReleased", "UsernameClaimed"]
    assert claim.holder == BOB


def test_an_email_code_verifies_the_email_once() -> None:
    user = registered()
    pending = user.send_email_code("Ann@Example.COM", "hash-1", T0)
    assert (pending.email, pending.expires_at) == ("Ann@example.com", T0 + timedelta(minutes=15))
    assert user.check_email_code("hash-1", T0 + timedelta(minutes=14)) is EmailCheck.VERIFIED
    assert user.email == "Ann@example.com" and user.pending_email is None
    assert isinstance(user.collect_events()[-1], EmailVerified)
    with pytest.raises(NoEmailCode):
        user.check_email_code("hash-1", T0)


def test_wrong_codes_are_recorded_and_the_sixth_try_is_refused() -> None:
    user = registered()
    user.send_email_code("a@b.io", "right", T0)
    for attempt in range(1, 6):
        assert user.check_email_code("wrong", T0) is EmailCheck.WRONG_CODE
        assert user.email_attempts_left == 5 - attempt
    with pytest.raises(EmailCodeAttemptsExhausted):
        user.check_email_code("right", T0)
    rejections = [e for e in user.collect_events() if isinstance(e, EmailCodeRejected)]
    assert [e.attempt for e in rejections] == [1, 2, 3, 4, 5]
    replayed = User.replay(user.id, [UserRegistered(originator_id=user.id, originator_version=1, at=T0, wallet_address=ADDRESS)])
    assert replayed.email_attempts_left == 5


def test_an_expired_code_is_refused_and_a_new_one_waits_a_minute() -> None:
    user = registered()
    user.send_email_code("a@b.io", "h", T0)
    with pytest.raises(EmailCodeExpired):
        user.check_email_code("h", T0 + timedelta(minutes=15))
    with pytest.raises(EmailCodeCooldown) as cooldown:
        user.send_email_code("a@b.io", "h2", T0 + timedelta(seconds=30))
    assert cooldown.value.retry_after_seconds == 31
    user.send_email_code("a@b.io", "h2", T0 + timedelta(seconds=60))


@pytest.mark.parametrize("email", ["", "plain", "a@b", "a b@c.io", "@c.io", "a@-c.io", "a@" + "c" * 250 + ".io"])
def test_malformed_emails_are_refused(email: str) -> None:
    with pytest.raises(InvalidEmail):
        registered().send_email_code(email, "h", T0)
