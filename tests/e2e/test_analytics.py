"""Market analytics through a real server (PORTFOLIO.md "Market analytics", docs/analytics.md): a known flow's
statistics and sentiment equal figures worked out here by hand, survive a restart, and bad input is a 4xx."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import API
from tests.e2e.test_trading import D, Market, limit, problem, start_market

CENT = Decimal("0.01")


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_EVEN)


@pytest.fixture
def market(start_server: Callable[..., Server]) -> Iterator[Market]:
    m = start_market(start_server)
    yield m
    m.client.close()


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(API + path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def without_time(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "as_of"}


def test_the_statistics_and_the_sentiment_of_a_known_flow_are_the_hand_computed_figures_and_survive_a_restart(
    market: Market,
) -> None:
    creator = market.trader()  # signed in: with the admin, two users
    market.list_token("ALICE", creator, supply="1000000", initial_price="1")
    made = market.client.post(
        f"{API}/admin/creators", json={"wallet_address": creator.address, "handle": "alice", "display_name": "Alice"},
        headers=market.admin.headers,
    )
    assert made.status_code == 201, made.text
    buyer = market.trader(usd="100")  # three users
    followed = market.client.post(f"{API}/creators/alice/follow", headers=buyer.headers)
    assert followed.status_code == 200, followed.text

    creator.placed(**limit("ALICE", "sell", "1.00", "10"))
    assert buyer.placed(**limit("ALICE", "buy", "1.00", "10"))["fills"]  # taker buy: 10.00 USD
    buyer.placed(**limit("ALICE", "buy", "1.10", "5"))
    assert creator.placed(**limit("ALICE", "sell", "1.10", "5"))["fills"]  # taker sell: 5.50 USD
    start = datetime.now(UTC)

    statistics = get(market.client, "/statistics")
    tokens = get(market.client, "/tokens")["items"]
    assert [(t["symbol"], D(t["market_cap"])) for t in tokens] == [("ALICE", D("1.10") * 1_000_000)]
    assert without_time(statistics) == {
        "users": 3, "creators": 1, "tokens": 1, "trades_24h": 2, "volume_24h": "15.5",
        "market_cap": tokens[0]["market_cap"], "active_traders_24h": 2,
    }
    assert abs(datetime.fromisoformat(statistics["as_of"]) - start) < timedelta(minutes=1)

    # taker balance 10 / 15.5; breadth: ALICE up (1.00 → 1.10); momentum: +10 % → 50 + 25; social: 1 follow
    # today, 1 in the week: 1 / (1 + 1/7)
    taker, breadth, momentum, social = cents(D(100) * 10 / D("15.5")), D(100), D(75), cents(D(100) * 7 / 8)
    assert (taker, social) == (D("64.52"), D("87.50"))
    index = cents(D("0.30") * taker + D("0.25") * breadth + D("0.25") * momentum + D("0.20") * social)
    sentiment = get(market.client, "/market/sentiment")
    assert [(c["name"], D(str(c["value"])), D(str(c["weight"]))) for c in sentiment["components"]] == [
        ("taker_balance", taker, D("0.3")), ("breadth", breadth, D("0.25")),
        ("momentum", momentum, D("0.25")), ("social", social, D("0.2")),
    ]
    assert (D(str(sentiment["index"])), sentiment["label"]) == (D("80.61"), "extreme_greed") and index == D("80.61")

    for interval, step in (("1h", timedelta(hours=1)), ("1d", timedelta(days=1))):
        points = get(market.client, "/statistics/history", interval=interval)
        times = [datetime.fromisoformat(p["t"]) for p in points]
        assert len(points) == 30 and all(b - a == step for a, b in zip(times, times[1:]))  # no gaps
        assert times[-1] - step <= datetime.now(UTC) < times[-1]  # the last is the current interval's end
        assert (sum(p["trades"] for p in points), sum(D(p["volume"]) for p in points)) == (2, D("15.5"))
        assert (points[-1]["users"], points[-1]["creators"], points[-1]["tokens"]) == (3, 1, 1)
        assert max(p["active_traders"] for p in points) == 2
        moods = get(market.client, "/market/sentiment/history", interval=interval)
        assert [p["t"] for p in moods] == [p["t"] for p in points]
        assert (D(str(moods[-1]["index"])), moods[-1]["label"]) == (D("80.61"), "extreme_greed")  # all in its 24h

    history = get(market.client, "/statistics/history", interval="1d")
    market.server.kill()
    market.server.start()
    assert without_time(get(market.client, "/statistics")) == without_time(statistics)
    assert without_time(get(market.client, "/market/sentiment")) == without_time(sentiment)
    assert get(market.client, "/statistics/history", interval="1d") == history


def test_bad_history_parameters_are_422_with_the_codes_price_history_answers_never_500(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator, initial_price="1")
    for path in ("/statistics/history", "/market/sentiment/history"):
        url = API + path
        for interval in ("5m", "1m", "1w", "", "1H", "\u0000"):
            problem(market.client.get(url, params={"interval": interval}), 422, "validation_error")
        for value in ("yesterday", "2026-13-45T00:00:00Z", "9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z", "-1", "\u0000"):
            for name in ("from", "to"):
                problem(market.client.get(url, params={name: value}), 422, "validation_error")
        backwards = {"from": "2026-11-30T02:00:00Z", "to": "2026-11-30T00:00:00Z"}
        huge = {"interval": "1h", "from": "2000-01-01T00:00:00Z", "to": "2099-12-31T00:00:00Z"}
        code = problem(market.client.get(f"{API}/tokens/ALICE/price-history", params=backwards), 422, "invalid_query")["code"]
        assert problem(market.client.get(url, params=backwards), 422, code)["code"] == "invalid_query"
        problem(market.client.get(f"{API}/tokens/ALICE/price-history", params={**huge, "interval": "1m"}), 422, code)
        problem(market.client.get(url, params=huge), 422, code)
        problem(market.client.get(url, params={**huge, "interval": "1d"}), 422, code)  # 36,524 days
        most = {"interval": "1h", "from": "2026-11-01T00:00:00Z", "to": "2026-12-12T15:59:59Z"}  # 1,000 hours
        assert len(get(market.client, path, **most)) == 1_000
        problem(market.client.get(url, params={**most, "to": "2026-12-12T16:00:00Z"}), 422, code)
        one = get(market.client, path, interval="1d", **{"from": "2026-11-30T05:00:00", "to": "2026-11-30T06:00:00+01:00"})
        assert [p["t"] for p in one] == ["2026-12-01T00:00:00Z"]  # the day holding both, ending at midnight UTC
