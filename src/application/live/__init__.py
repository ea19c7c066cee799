"""The live market: the committed state every reader sees, and the feed built from it."""
