"""Pub/sub adapters: in-process and Redis, both feeding the same local fan-out."""
