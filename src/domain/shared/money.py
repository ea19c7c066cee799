"""Money in integers: USD in micro-units, tokens in base units; fees rounded up, to the platform."""

from __future__ import annotations

USD = "USD"
USD_DECIMALS = 6
MICRO = 10**USD_DECIMALS  # micro-units per USD
BPS = 10_000
TAKER_FEE_BPS = 50
MAKER_FEE_BPS = 30
MAX_PRICE = 10**10  # micro-USD per whole token (10,000 USD): with MAX_QUANTITY every notional fits 64 bits
MAX_QUANTITY = 10**14  # base units: no supply is larger, so no order needs to be
MAX_QUOTE = 10**15  # micro-USD (a billion dollars): the most one order, deposit or budget may name


def notional(price: int, quantity: int, scale: int) -> int:
    """Quote micro-units for ``quantity`` base units at ``price`` micro-USD per whole token.

    Markets are opened only with tick * lot divisible by ``scale`` (10**decimals), so for any
    valid price and quantity this division is exact.
    """
    return price * quantity // scale


def fee(amount: int, bps: int) -> int:
    """``ceil(amount * bps / 10_000)``."""
    return -(-amount * bps // BPS)
