"""A seeded, mixed order flow for the matching benchmarks, the same commands for every engine.

Around a mid price that drifts by whole ticks (a random walk, pulled softly
back towards where it started so that it stays within a few hundred ticks),
each command is drawn with these weights:

======================  ======  =========================================
kind                    weight  what
======================  ======  =========================================
``gtc``                 55      limit GTC, 8 ticks behind to 3 through the mid: ~28 % cross
``ioc``                 10      limit IOC, 0 to 3 ticks through the mid
``fok``                 5       limit FOK, 0 to 3 ticks through the mid
``market``              10      a third each: buy by quantity, buy by quote amount, sell by quantity
``cancel``              15      cancels one random order of the flow that is resting at that moment
======================  ======  =========================================

Quantities: GTC 1..20 lots, IOC/FOK/market 1..10 lots, a buy by quote
amount 0.01..0.10 USD. With these the book settles at about a thousand
resting orders over some 50 price levels, both sides always present, and
the flow makes ~0.56 trades per command (seed 1).

The weights are the brief's and add up to 95, so the shares one gets are
the weights / 95 (gtc 57.9 %, ioc 10.5 %, fok 5.3 %, market 10.5 %,
cancel 15.8 %); see ``expected_shares``. A cancel drawn while nothing
rests becomes a GTC (it happens only in the first few commands).

To know which orders rest, the generator runs the flow through the bare
matcher as it draws it (``bench.bare_matcher``; it keeps the real engine's
self-trade prevention ``cancel_maker`` and fee-inclusive quote budget so the
two agree on what rests). Every cancel therefore names an order that is open
in either engine at that point, with its owner.

Units are those of ``domain.shared.money`` for a market opened with
decimals 6, tick 100, lot 10_000, min 10_000: prices in micro-USD per whole
token (the mid starts at 1.00 USD), quantities in base units (whole lots),
quote amounts in micro-USD. Order ids are ``1..N`` in placement order, users
``0..users-1``; the benchmark maps them to UUIDs. The same ``seed`` (and
arguments) gives the same commands, on any machine.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import NamedTuple

from bench.bare_matcher import BareMatcher

DECIMALS = 6
SCALE = 10**DECIMALS
TICK = 100
LOT = 10_000
MIN_SIZE = 10_000
START_MID_TICKS = 10_000  # 1.00 USD
GTC_DEPTH = 8  # a GTC is priced from GTC_DEPTH ticks behind the mid (passive) ...
GTC_CROSS = 3  # ... to GTC_CROSS ticks through it (aggressive)
TAKE_SPREAD = 3  # IOC/FOK limits from the mid to this many ticks through it
GTC_LOTS = 20  # GTC quantity 1..GTC_LOTS lots
TAKE_LOTS = 10  # IOC/FOK/market quantity 1..TAKE_LOTS lots
QUOTE_MAX = 100_000  # a market buy by quote amount spends 0.01 USD .. QUOTE_MAX micro-USD
MID_STEP_CHANCE = 0.05  # per command, the chance that the mid moves a tick
MID_BAND = 200  # ticks: the walk leans back towards the start, harder the further away it is

MIX: dict[str, float] = {"gtc": 55, "ioc": 10, "fok": 5, "market": 10, "cancel": 15}
KINDS = tuple(MIX)
LIMIT_CANCEL_MIX: dict[str, float] = {"gtc": 80, "cancel": 20}  # what the like-for-like test uses


class Command(NamedTuple):
    """One command of the flow, plain values only.

    ``kind`` is one of ``gtc ioc fok market cancel`` (what was drawn);
    ``type`` / ``time_in_force`` are the domain's words for it.
    For a cancel, ``order_id`` and ``user`` are the cancelled order's and its owner's.
    """

    kind: str
    order_id: int
    user: int
    side: str = ""  # "buy" | "sell"; "" for a cancel
    type: str = ""  # "limit" | "market"; "" for a cancel
    time_in_force: str = ""  # "GTC" | "IOC" | "FOK"; "" for a cancel
    price: int = 0  # micro-USD per whole token; 0 for market orders
    quantity: int = 0  # base units; 0 for a market buy by quote amount
    quote_amount: int = 0  # micro-USD, fee included; only for a market buy by quote amount


def expected_shares(mix: Mapping[str, float] = MIX) -> dict[str, float]:
    total = sum(mix.values())
    return {kind: weight / total for kind, weight in mix.items()}


def generate(n: int = 200_000, seed: int = 1, users: int = 50, mix: Mapping[str, float] = MIX) -> list[Command]:
    """``n`` commands of the mixed flow, the same for the same arguments."""
    unknown = set(mix) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds in mix: {sorted(unknown)}")
    rng = random.Random(seed)
    kinds = list(mix)
    cumulative, acc = [], 0.0
    for kind in kinds:
        acc += mix[kind]
        cumulative.append(acc)
    matcher = BareMatcher(lot_size=LOT, scale=SCALE)
    resting: list[int] = []  # ids of orders that rested once; closed ones are dropped lazily
    commands: list[Command] = []
    mid = START_MID_TICKS
    next_id = 0
    rand, randint = rng.random, rng.randint

    def draw_kind() -> str:
        r = rand() * acc
        for kind, edge in zip(kinds, cumulative):
            if r < edge:
                return kind
        return kinds[-1]

    while len(commands) < n:
        if rand() < MID_STEP_CHANCE:
            up = 0.5 - 0.5 * (mid - START_MID_TICKS) / MID_BAND
            mid += 1 if rand() < up else -1
        kind = draw_kind()
        if kind == "cancel":
            target = None
            while resting:
                i = randint(0, len(resting) - 1)
                candidate = resting[i]
                resting[i] = resting[-1]
                resting.pop()
                if candidate in matcher.orders:
                    target = candidate
                    break
            if target is not None:
                commands.append(Command("cancel", target, matcher.orders[target].user))
                matcher.cancel(target)
                continue
            kind = "gtc"
        next_id += 1
        user = randint(0, users - 1)
        if kind == "market":
            which = randint(0, 2)  # 0: buy by quantity, 1: buy by quote amount, 2: sell by quantity
            side = "sell" if which == 2 else "buy"
            if which == 1:  # buy by quote amount, fee included
                quote = randint(1, QUOTE_MAX // 10_000) * 10_000
                cmd = Command("market", next_id, user, "buy", "market", "IOC", quote_amount=quote)
                matcher.market(next_id, user, "buy", 0, quote)
            else:
                quantity = randint(1, TAKE_LOTS) * LOT
                cmd = Command("market", next_id, user, side, "market", "IOC", quantity=quantity)
                matcher.market(next_id, user, side, quantity, 0)
            commands.append(cmd)
            continue
        side = "buy" if rand() < 0.5 else "sell"
        sign = 1 if side == "buy" else -1
        if kind == "gtc":
            price = (mid + sign * randint(-GTC_DEPTH, GTC_CROSS)) * TICK
            quantity = randint(1, GTC_LOTS) * LOT
            tif = "GTC"
        else:  # ioc, fok: at or through the mid
            price = (mid + sign * randint(0, TAKE_SPREAD)) * TICK
            quantity = randint(1, TAKE_LOTS) * LOT
            tif = "IOC" if kind == "ioc" else "FOK"
        commands.append(Command(kind, next_id, user, side, "limit", tif, price, quantity))
        matcher.limit(next_id, user, side, tif, price, quantity)
        if tif == "GTC" and next_id in matcher.orders:
            resting.append(next_id)
    return commands


def shares(commands: list[Command]) -> dict[str, float]:
    """The share of each kind in ``commands`` (a market order counts once, whatever its sub-kind)."""
    counts = dict.fromkeys(KINDS, 0)
    for c in commands:
        counts[c.kind] += 1
    return {k: v / len(commands) for k, v in counts.items()} if commands else counts
