"""PEOPLECOIN_RATE_LIMITS' grammar, and which tiers a request counts against."""

from __future__ import annotations

from uuid import UUID

import pytest

from adapters.limits.memory import InMemoryConnectionSlots, InMemoryRateLimiter
from application.ports import Verdict
from entrypoints.http.ratelimit import Limits, LiveLimits, Rate, parse_limits, tiers_for

USER = UUID(int=5)


def test_the_default_is_the_seeds_rates_and_caps_of_20_connections_per_ip_and_10_per_user() -> None:
    assert parse_limits(None) == parse_limits("") == Limits(
        rates={"public": Rate(100, 60), "authenticated": Rate(1000, 60), "trading": Rate(100, 60), "ws": Rate(1000, 60)},
        caps={"connections_per_ip": 20, "connections_per_user": 10},
    )


def test_entries_given_replace_their_default_and_the_rest_stay() -> None:
    limits = parse_limits("public=6/second, connections_per_ip=3,ws=off")
    assert limits.rates == {"public": Rate(6, 1), "authenticated": Rate(1000, 60), "trading": Rate(100, 60)}
    assert limits.caps == {"connections_per_ip": 3, "connections_per_user": 10}


def test_off_turns_every_rate_and_cap_off() -> None:
    assert parse_limits("off") == parse_limits(" OFF ") == Limits()


@pytest.mark.parametrize(
    "text", ["public=0/minute", "public=5/fortnight", "public=5", "sockets=5", "connections_per_ip=0", "connections_per_user=5/minute"]
)
def test_anything_else_is_refused_naming_the_entry(text: str) -> None:
    with pytest.raises(ValueError, match=text.partition(",")[0]):
        parse_limits(text)


def test_an_anonymous_request_counts_against_its_ip_and_a_signed_in_one_against_its_user() -> None:
    assert tiers_for(None, "10.0.0.1", trading=False) == [("public", "ip:10.0.0.1")]
    assert tiers_for(USER, "10.0.0.1", trading=False) == [("authenticated", f"user:{USER}")]
    assert tiers_for(USER, "10.0.0.1", trading=True) == [("authenticated", f"user:{USER}"), ("trading", f"user:{USER}")]


class CountingLimiter(InMemoryRateLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    async def hit(self, key: str, limit: int, window_seconds: float) -> Verdict:
        self.asked += 1
        return await super().hit(key, limit, window_seconds)


async def test_once_refused_a_websocket_identitys_messages_are_refused_without_asking_the_store_again() -> None:
    store = CountingLimiter()
    limits = LiveLimits(parse_limits("ws=2/minute"), store, InMemoryConnectionSlots())
    assert [await limits.message_allowed("ip:10.0.0.1") for _ in range(5)] == [True, True, False, False, False]
    assert store.asked == 3
    assert await limits.message_allowed("ip:10.0.0.2")
