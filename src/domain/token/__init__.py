"""The token aggregate: a creator's coin, its supply and market parameters (issue 4)."""
