"""The text rule: control characters other than newline and tab are refused, everything else printable passes."""

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.creator.categories import CategoryCatalog
from domain.identity.user import ProfileChange, User, user_id_for, wallet_address
from domain.shared.text import InvalidText, check_text, has_control_characters, without_control_characters
from domain.token.token import Token, default_parameters, normalise_symbol


@pytest.mark.parametrize("value", ["a\x00b", "\x1b[31mred", "bell\x07", "del\x7f", "c1\x85", "cr\r", "lone \ud800"])
def test_control_characters_and_lone_surrogates_are_refused(value: str) -> None:
    with pytest.raises(InvalidText) as refused:
        check_text(value, "bio")
    assert refused.value.code == "invalid_text"
    assert "bio" in refused.value.message


@pytest.mark.parametrize("value", ["", "plain", "two\nlines\tand a tab", "héllo 👋 مرحبا", None])
def test_printable_text_newline_and_tab_pass_unchanged(value: str | None) -> None:
    assert check_text(value, "bio") == value


def test_the_rule_is_exactly_category_cc_less_newline_and_tab_plus_surrogates() -> None:
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        expected = (category == "Cc" and char not in "\n\t") or category == "Cs"
        assert has_control_characters(char) is expected, hex(code)


# Every text a user or an admin can have stored goes through the rule before an event is recorded.
# The three characters: NUL (PostgreSQL cannot store it), ESC (terminal escapes), NEL (str.split and
# str.strip take it for whitespace, so a check after trimming would never see it).
REFUSED = ["\x00", "\x1b", "\x85"]
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ADDRESS = "0x" + "ab" * 32


def _registered() -> User:
    user = User(user_id_for(ADDRESS))
    user.register(ADDRESS, T0)
    user.collect_events()
    return user


def _list_token(**change: str) -> Token:
    token = Token(UUID(int=7))
    fields: dict[str, Any] = {"symbol": "ALICE", "name": "Alice", **change}
    token.list(
        token_id=UUID(int=8), symbol=normalise_symbol(fields["symbol"]), name=fields["name"], creator_id=UUID(int=9),
        creator_address=ADDRESS, total_supply=10**9, initial_price=0, parameters=default_parameters(), at=T0,
    )
    return token


TEXT_FIELDS: dict[str, Callable[[str], object]] = {
    "username": lambda bad: _registered().change_profile(ProfileChange(username="ann" + bad), T0),
    "display_name": lambda bad: _registered().change_profile(ProfileChange(display_name="Ann" + bad), T0),
    "bio": lambda bad: _registered().change_profile(ProfileChange(bio="hello" + bad), T0),
    "avatar_url": lambda bad: _registered().change_profile(ProfileChange(avatar_url="https://a.example/" + bad), T0),
    "email": lambda bad: _registered().send_email_code("ann" + bad + "@example.com", "hash", T0),
    "wallet address": lambda bad: wallet_address(ADDRESS + bad),
    "category name": lambda bad: CategoryCatalog().add(UUID(int=1), "Art" + bad, T0),
    "category slug": lambda bad: CategoryCatalog().add(UUID(int=1), "Art", T0, slug="art" + bad),
    "category rename": lambda bad: _catalog_with_art().rename("art", "Arts" + bad, T0),
    "token symbol": lambda bad: _list_token(symbol="ALICE" + bad),
    "token name": lambda bad: _list_token(name="Alice" + bad),
}


def _catalog_with_art() -> CategoryCatalog:
    catalog = CategoryCatalog()
    catalog.add(UUID(int=1), "Art", T0)
    catalog.collect_events()
    return catalog


@pytest.mark.parametrize("bad", REFUSED, ids=["nul", "esc", "nel"])
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_every_stored_text_field_refuses_control_characters_with_invalid_text(field: str, bad: str) -> None:
    with pytest.raises(InvalidText):
        TEXT_FIELDS[field](bad)


def test_a_bio_keeps_newlines_and_tabs() -> None:
    user = _registered()
    assert user.change_profile(ProfileChange(bio="one\n\ttwo"), T0).bio == "one\n\ttwo"


def test_text_from_elsewhere_loses_exactly_the_characters_the_rule_refuses() -> None:
    every = "".join(map(chr, range(0x2000))) + "\ud800\udfff"
    cleaned = without_control_characters(every)
    assert not has_control_characters(cleaned)
    assert cleaned == "".join(c for c in every if not has_control_characters(c))
    assert "\n" in cleaned and "\t" in cleaned and "é" in cleaned
