"""The text rule: control characters other than newline and tab are refused, everything else printable passes."""

import unicodedata

import pytest

from domain.shared.text import InvalidText, check_text, has_control_characters


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
