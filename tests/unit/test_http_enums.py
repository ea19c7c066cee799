"""The HTTP enums mirror their owners' strings: a value added or renamed in the domain shows here first."""

from __future__ import annotations

from enum import StrEnum

import pytest

from application.analytics_queries import HISTORY_INTERVALS
from application.projections.market import INTERVALS
from application.sentiment import LABELS, WEIGHTS
from entrypoints.http.enums import CandleInterval, HistoryInterval, SentimentComponent, SentimentLabel

MIRRORS: list[tuple[type[StrEnum], set[str]]] = [
    (CandleInterval, set(INTERVALS)),
    (HistoryInterval, set(HISTORY_INTERVALS)),
    (SentimentLabel, {name for _, name in LABELS} | {"extreme_greed"}),
    (SentimentComponent, set(WEIGHTS)),
]


@pytest.mark.parametrize(("mirror", "owner"), MIRRORS, ids=[m.__name__ for m, _ in MIRRORS])
def test_each_http_enum_has_exactly_its_owners_values(mirror: type[StrEnum], owner: set[str]) -> None:
    assert {member.value for member in mirror} == owner
