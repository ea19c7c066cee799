"""The central limit order book: one aggregate per token market, matching by price-time priority."""
