"""The views audit on each deployment: SQLite, PostgreSQL, and PostgreSQL under a role that may not create databases
(the replay falls back to a SQLite file, and the same rows must still compare equal)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
import pytest
from sqlalchemy import text

from application.audit import run_audit
from domain.orderbook.book import NewOrder
from domain.shared.money import USD
from domain.token.token import default_parameters
from entrypoints.config import Settings
from entrypoints.container import Container, audit_checks, build, close_stores, open_stores


@pytest.fixture
def no_createdb_url(postgres_url: str) -> Iterator[str]:
    """The test database, owned by a role that may log in and create tables there but not create databases."""
    role = "peoplecoin_nocreate_" + secrets.token_hex(4)
    database = urlsplit(postgres_url).path.lstrip("/")
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
        admin.execute(f'ALTER DATABASE "{database}" OWNER TO "{role}"')
    try:
        yield urlunsplit(urlsplit(postgres_url)._replace(netloc=f"{role}@{urlsplit(postgres_url).netloc.split('@')[-1]}"))
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE "{role}"')


@pytest.fixture(params=["sqlite", "postgres", "postgres-without-createdb"])
async def container(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Container]:
    env = {"PEOPLECOIN_DATA_DIR": str(tmp_path)}
    if request.param == "postgres":
        env["PEOPLECOIN_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    elif request.param == "postgres-without-createdb":
        env["PEOPLECOIN_DATABASE_URL"] = request.getfixturevalue("no_createdb_url")
    c = build(Settings.from_env(env))
    await open_stores(c)
    yield c
    await c.exchange().close()
    await close_stores(c)


async def trade(c: Container) -> UUID:
    """A token listed, money deposited, orders resting, filled and cancelled: rows in every view."""
    exchange = c.exchange()
    await exchange.start(await c.event_store().claim_writer())
    alice, bob = UUID(int=1), UUID(int=2)
    listing = await exchange.list_token(
        symbol="ALICE", name="Alice", creator_id=alice, creator_address="0x" + "a" * 64,
        total_supply=10**9, initial_price=0, parameters=default_parameters(),
    )
    token = listing.value.token_id  # type: ignore[attr-defined]
    await exchange.deposit(bob, USD, 10**10, "d1", address="0x" + "b" * 64)
    await exchange.place(token, NewOrder(UUID(int=10), alice, "sell", "limit", price=1_000_000, quantity=3 * 10**6))
    await exchange.place(token, NewOrder(UUID(int=11), alice, "sell", "limit", price=1_200_000, quantity=10**6))
    await exchange.place(token, NewOrder(UUID(int=12), bob, "buy", "limit", price=1_100_000, quantity=2 * 10**6))
    await exchange.cancel(alice, UUID(int=11))
    return token


async def test_the_views_equal_a_fresh_replay_and_a_row_changed_by_hand_is_named(container: Container) -> None:
    token = await trade(container)
    money, result = await run_audit(audit_checks(container))
    assert money.differences == [] and result.differences == [], (money.differences[:3], result.differences[:3])
    assert "2 assets conserved" in money.summary, money.summary
    expected_scratch = "SQLite" if container.view_database().is_sqlite else "PostgreSQL"
    if "nocreate" in (container.settings().database_url or ""):
        expected_scratch = "SQLite file (the PostgreSQL role may not create databases)"
    assert expected_scratch in result.summary, result.summary
    assert "10 views" in result.summary

    async with container.view_database().engine.begin() as conn:
        await conn.execute(
            text("UPDATE holdings SET quantity = quantity + 1 WHERE user_id = :bob"), {"bob": _uuid(container, UUID(int=2))}
        )
    money, result = await run_audit(audit_checks(container))
    assert money.differences == [], "the views are not the money"
    [difference] = result.differences
    assert difference.where == f"view market, table holdings, key {token}, {UUID(int=2)}"
    assert "quantity=2000001" in difference.found and "quantity=2000000" in difference.expected


def _uuid(c: Container, value: UUID) -> object:
    """A UUID as the views database stores it (SQLite: 32 hex digits)."""
    return value.hex if c.view_database().is_sqlite else value
