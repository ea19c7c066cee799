"""The HTTP enums mirror their owners' strings: a value added or renamed in the domain shows here first."""

from __future__ import annotations

from enum import StrEnum

import pytest

from application.projections.market import INTERVALS
from entrypoints.http.enums import CandleInterval

MIRRORS: list[tuple[type[StrEnum], set[str]]] = [
    (CandleInterval, set(INTERVALS)),
]


@pytest.mark.parametrize(("mirror", "owner"), MIRRORS, ids=[m.__name__ for m, _ in MIRRORS])
def test_each_http_enum_has_exactly_its_owners_values(mirror: type[StrEnum], owner: set[str]) -> None:
    assert {member.value for member in mirror} == owner
