"""The market sentiment index (docs/analytics.md): four components, each 0-100, and their weighted mean.

Pure arithmetic on integers and Decimals, so the same inputs give the same
figures on every backend; each value is rounded half to even to two decimals,
and the index is made from the rounded values, so a reader can recompute it
from the components the API shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

HUNDRED = Decimal(100)
FIFTY = Decimal(50)
CENT = Decimal("0.01")
WEIGHTS = {"taker_balance": Decimal("0.30"), "breadth": Decimal("0.25"), "momentum": Decimal("0.25"), "social": Decimal("0.20")}
LABELS = ((20, "extreme_fear"), (40, "fear"), (60, "neutral"), (80, "greed"))  # below the bound; else extreme_greed
MOMENTUM_SLOPE = Decimal("2.5")  # index points per percent of volume-weighted 24h change: ±20 % spans 0..100


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    value: Decimal  # 0..100, two decimals
    weight: Decimal


@dataclass(frozen=True, slots=True)
class Sentiment:
    index: Decimal  # 0..100, two decimals
    label: str
    components: tuple[Component, ...]


@dataclass(frozen=True, slots=True)
class TradedToken:
    """A token traded in the window: its quote volume (micro-USD) and 24h change (hundredths of a percent)."""

    quote_volume: int
    change: int | None  # None: no price to compare with, counted as flat


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_EVEN)


def index_of(components: Sequence[Component]) -> Sentiment:
    """Σ weight × value, rounded half to even to two decimals, and its label."""
    index = _cents(sum((c.weight * c.value for c in components), Decimal(0)))
    label = next((name for bound, name in LABELS if index < bound), "extreme_greed")
    return Sentiment(index, label, tuple(components))


def taker_balance(buy_volume: int, sell_volume: int) -> Decimal:
    """100 × taker-buy quote volume / all taker quote volume; 50 with none."""
    total = buy_volume + sell_volume
    return _cents(HUNDRED * buy_volume / total) if total else FIFTY


def breadth(traded: Iterable[TradedToken]) -> Decimal:
    """100 × (up + ½ flat) / traded tokens; 50 when none traded."""
    changes = [t.change or 0 for t in traded]
    if not changes:
        return FIFTY
    up, flat = sum(c > 0 for c in changes), sum(c == 0 for c in changes)
    return _cents(HUNDRED * (2 * up + flat) / (2 * len(changes)))


def momentum(traded: Iterable[TradedToken]) -> Decimal:
    """clamp(50 + 2.5 × m, 0, 100), m the quote-volume-weighted mean 24h change in percent; 50 with no volume."""
    tokens = list(traded)
    volume = sum(t.quote_volume for t in tokens)
    if not volume:
        return FIFTY
    mean = Decimal(sum(t.quote_volume * (t.change or 0) for t in tokens)) / (100 * volume)
    return _cents(min(max(FIFTY + MOMENTUM_SLOPE * mean, Decimal(0)), HUNDRED))


def social(follows_24h: int, follows_7d: int) -> Decimal:
    """100 × f / (f + w), f the follows of the last 24h and w the daily mean of the last 7 days; 50 with neither."""
    if not follows_24h and not follows_7d:
        return FIFTY
    return _cents(HUNDRED * 7 * follows_24h / (7 * follows_24h + follows_7d))


def sentiment(buy_volume: int, sell_volume: int, traded: Sequence[TradedToken], follows_24h: int, follows_7d: int) -> Sentiment:
    values = {
        "taker_balance": taker_balance(buy_volume, sell_volume),
        "breadth": breadth(traded),
        "momentum": momentum(traded),
        "social": social(follows_24h, follows_7d),
    }
    return index_of([Component(name, value, WEIGHTS[name]) for name, value in values.items()])
