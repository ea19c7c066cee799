"""The order book aggregate: one per token market (issue 4)."""
