"""Creator tokens: their listing, symbol, supply and market parameters."""
