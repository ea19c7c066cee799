"""The pure core: aggregates, value objects, events and errors. Stdlib only."""
