"""Decimal strings on the wire, integers inside: exact both ways, never rounded on the way in."""

from __future__ import annotations

import re

class NotADecimal(ValueError):
    """Not a plain decimal number at all (as opposed to one with too many places)."""


_DECIMAL = re.compile(r"^([0-9]{1,30})(?:\.([0-9]{1,30}))?$")


def to_units(text: str, decimals: int) -> int:
    """``"12.34"`` with 6 decimals is 12_340_000; more fractional digits than ``decimals`` (beyond zeros) is a ValueError."""
    found = _DECIMAL.match(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise NotADecimal(f"{text!r} is not a decimal number like \"12.34\"")
    whole, fraction = found.group(1), (found.group(2) or "").rstrip("0")
    if len(fraction) > decimals:
        raise ValueError(f"{text!r} has more than {decimals} decimal places")
    return int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or 0)


def from_units(value: int, decimals: int) -> str:
    """12_340_000 with 6 decimals is ``"12.34"``; whole numbers have no point."""
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**decimals)
    digits = str(fraction).rjust(decimals, "0").rstrip("0") if decimals else ""
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def ratio(numerator: int, denominator: int, decimals: int) -> str:
    """numerator / denominator to ``decimals`` places, rounded half to even (for averages, not for money moved)."""
    scaled, remainder = divmod(numerator * 10**decimals, denominator)
    if remainder * 2 > denominator or (remainder * 2 == denominator and scaled % 2):
        scaled += 1
    return from_units(scaled, decimals)
