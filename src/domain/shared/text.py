"""Text a person typed: control characters other than newline and tab are refused before anything is stored.

One rule for every backend (API.md: ``422 invalid_text``). PostgreSQL cannot
store ``\\u0000`` in text at all, and the others (escape, bell, bidi
overrides aside) break logs and terminals; refusing them at the domain
boundary keeps a stored event from ever being one a view cannot take.
"""

from __future__ import annotations

import re

from domain.shared.errors import RuleViolation

# Unicode category Cc (C0 controls, DEL, C1 controls) less newline and tab, and lone surrogates.
_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class InvalidText(RuleViolation):
    code = "invalid_text"


def has_control_characters(value: str) -> bool:
    """True when ``value`` holds a character of category Cc (C0, DEL, C1) other than ``\\n`` and ``\\t``,
    or a lone surrogate (which no encoder can store)."""
    return _REFUSED.search(value) is not None


def check_text(value: str | None, field: str) -> str | None:
    """``value`` unchanged, or InvalidText naming ``field`` when it holds a refused character."""
    if value is not None and has_control_characters(value):
        raise InvalidText(f"{field} holds a control character; only newline and tab are allowed")
    return value


def without_control_characters(value: str) -> str:
    """``value`` with every character ``has_control_characters`` looks for removed: for text read from
    elsewhere (a fetched page), which is cleaned rather than refused."""
    return _REFUSED.sub("", value)
