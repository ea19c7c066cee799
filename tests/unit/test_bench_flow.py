"""The benchmark's flow is what it claims, and both engines of bench.matching see the same trades.

No timing here: the benchmark prints figures, the suite only checks that it compares like with like.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # `bench` lives at the repository root, beside src/
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.bare_matcher import BareMatcher  # noqa: E402
from bench.flow import LIMIT_CANCEL_MIX, LOT, TICK, expected_shares, generate, shares  # noqa: E402
from bench.matching import bare_ops, real_ops, run_bare, run_real  # noqa: E402


def test_the_same_seed_gives_the_same_flow_and_another_seed_another() -> None:
    assert generate(3_000, seed=7) == generate(3_000, seed=7)
    assert generate(3_000, seed=7) != generate(3_000, seed=8)


def test_the_flow_has_the_mix_it_claims() -> None:
    commands = generate(20_000, seed=3)
    got, want = shares(commands), expected_shares()
    for kind, share in want.items():
        assert got[kind] == pytest.approx(share, abs=0.02), kind
    markets = [c for c in commands if c.kind == "market"]
    by_quote = sum(1 for c in markets if c.quote_amount) / len(markets)
    sells = sum(1 for c in markets if c.side == "sell") / len(markets)
    assert by_quote == pytest.approx(1 / 3, abs=0.05)
    assert sells == pytest.approx(1 / 3, abs=0.05)
    assert len({c.user for c in commands}) == 50
    for c in commands:
        if c.kind != "cancel":
            assert c.price % TICK == 0 and c.quantity % LOT == 0


def test_every_cancel_names_an_order_resting_at_that_moment() -> None:
    commands = generate(5_000, seed=4)
    matcher = BareMatcher()
    crossing_gtc = gtc = 0
    for c in commands:
        if c.kind == "cancel":
            assert matcher.orders[c.order_id].user == c.user
            assert matcher.cancel(c.order_id)
        elif c.type == "limit":
            trades = matcher.limit(c.order_id, c.user, c.side, c.time_in_force, c.price, c.quantity)
            if c.kind == "gtc":
                gtc += 1
                crossing_gtc += trades > 0
        else:
            matcher.market(c.order_id, c.user, c.side, c.quantity, c.quote_amount)
    assert 0.15 < crossing_gtc / gtc < 0.5  # "a good share cross"


@pytest.mark.parametrize("mix", [LIMIT_CANCEL_MIX, None], ids=["limit-and-cancel", "full-mix"])
def test_bare_matcher_and_order_book_make_the_same_trades(mix: dict[str, float] | None) -> None:
    commands = generate(3_000, seed=5, mix=mix) if mix else generate(3_000, seed=5)
    bare = run_bare(bare_ops(commands))
    real = run_real(real_ops(commands), users=50)
    assert real.rejected == 0
    assert bare.trades > 300
    assert (bare.trades, bare.resting) == (real.trades, real.resting)
