"""Use cases: commands and their handlers, ports, projectors and queries. Stdlib and domain only."""
