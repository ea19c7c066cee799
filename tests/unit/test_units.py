"""Decimal strings to integer units and back: exact, never rounded on the way in."""

import pytest
from hypothesis import given, strategies as st

from entrypoints.http.units import from_units, ratio, to_units


@pytest.mark.parametrize(
    ("text", "decimals", "units"),
    [("12.34", 6, 12_340_000), ("0.000001", 6, 1), ("5", 6, 5_000_000), ("1.50000000", 2, 150), ("7", 0, 7), ("0", 6, 0)],
)
def test_decimal_strings_become_exact_units(text: str, decimals: int, units: int) -> None:
    assert to_units(text, decimals) == units


@pytest.mark.parametrize("text", ["0.0000001", "-1", "1e6", "1.", ".5", "", " ", "1,5", "NaN", "１"])
def test_anything_not_exact_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        to_units(text, 6)


@given(st.integers(0, 10**20), st.integers(0, 9))
def test_units_survive_the_round_trip(units: int, decimals: int) -> None:
    assert to_units(from_units(units, decimals), decimals) == units


def test_ratios_round_half_to_even() -> None:
    assert ratio(1, 3, 6) == "0.333333"
    assert ratio(2, 3, 6) == "0.666667"
    assert ratio(5, 2_000_000, 6) == "0.000002"  # 0.0000025 -> even
    assert ratio(7, 2_000_000, 6) == "0.000004"  # 0.0000035 -> even
