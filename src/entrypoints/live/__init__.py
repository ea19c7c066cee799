"""The live feed as the WebSocket speaks it: the committed market's updates and snapshots, rendered once."""
