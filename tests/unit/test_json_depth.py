"""JSON depth on raw bytes: brackets inside strings never count, escapes included; what msgspec would see is what we count."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.http.bodies import MAX_JSON_DEPTH, json_depth, too_deep

Json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('[]{}"\\,:ab\n\u00e9')),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet=st.sampled_from('[]{}"\\a'), max_size=4), inner, max_size=3),
    max_leaves=30,
)


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


@given(Json)
def test_the_depth_of_any_encoded_value_is_its_nesting(value: object) -> None:
    assert json_depth(msgspec.json.encode(value)) == depth_of(value)


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"1", 0),
        (b'"[[[["', 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'["\\"[[[", "]"]', 1),  # an escaped quote does not end the string
        (b'["\\\\", [[]]]', 3),  # an escaped backslash does, and the brackets after it count
        (b'["unterminated [[[[', 1),  # malformed: msgspec refuses it afterwards
        (b"[" * 1000, 1000),
    ],
)
def test_brackets_in_strings_do_not_count(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


def test_the_limit_is_inclusive() -> None:
    assert not too_deep(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert too_deep(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    assert not too_deep(b"[" + b"[1]," * 10_000 + b"[]]")  # many brackets, shallow
