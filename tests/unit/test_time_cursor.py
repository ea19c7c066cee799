"""Cursors of lists ordered by a time and an id: exact to the microsecond, and hostile ones refused with a code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from entrypoints.http.errors import Problem
from entrypoints.http.schemas import decode_time_cursor, encode_cursor, time_key


@pytest.mark.parametrize(
    "at",
    [datetime(2026, 11, 30, 12, 0, 0, 123457, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)],
)
def test_a_time_and_an_id_come_back_exactly(at: datetime) -> None:
    key = time_key(at, UUID(int=42))
    assert decode_time_cursor(encode_cursor(key)) == (at, UUID(int=42))
    later = time_key(at + timedelta(microseconds=1), UUID(int=42)) if at.year < 9999 else key
    assert later[0] >= key[0]  # type: ignore[operator]


@pytest.mark.parametrize("key", [[10**18, "00" * 16], [5, "not-hex"], [5, "ab"], ["x", "00" * 16], [1, 2, 3], "text"])
def test_a_cursor_this_list_never_gave_out_is_invalid_cursor(key: object) -> None:
    with pytest.raises(Problem) as refused:
        decode_time_cursor(encode_cursor(key))
    assert (refused.value.status_code, refused.value.code) == (422, "invalid_cursor")


def test_no_cursor_is_the_first_page() -> None:
    assert decode_time_cursor(None) is None
