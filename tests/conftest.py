"""Shared fixtures: real PostgreSQL and Redis, reached or failed loudly, never skipped.

``make test`` runs scripts/ensure-services first, which starts the servers
when it can. Here we only connect; a server that cannot be reached ends the
whole run with a clear message instead of skipping the tests that need it.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

POSTGRES_URL = os.environ.get("PEOPLECOIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("PEOPLECOIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = [
        f"{name} at {url}"
        for name, url, port in (("PostgreSQL", POSTGRES_URL, 5432), ("Redis", REDIS_URL, 6379))
        if not _reachable(url, port)
    ]
    if missing:
        pytest.exit(
            "cannot reach " + " and ".join(missing) + ": the contract and e2e suites need them. "
            "Run scripts/ensure-services (make test does), or point PEOPLECOIN_TEST_POSTGRES_URL / "
            "PEOPLECOIN_TEST_REDIS_URL at running servers.",
            returncode=3,
        )


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped after it."""
    name = "peoplecoin_test_" + secrets.token_hex(6)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(POSTGRES_URL, name)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> str:
    """A key and channel prefix of one test's own, so tests never see each other's traffic."""
    return f"pctest:{secrets.token_hex(6)}:"
