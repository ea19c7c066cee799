"""The writer lease port: the same assertions against the data dir's lock file and PostgreSQL's advisory lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psycopg
import pytest

from adapters.lease.file import FileLease
from adapters.lease.postgres import PostgresAdvisoryLease
from application.ports import WriterLease


@pytest.fixture(params=["file", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def leases(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], WriterLease]]:
    made: list[WriterLease] = []

    def make() -> WriterLease:
        if kind == "file":
            lease: WriterLease = FileLease(tmp_path / "engine.lock")
        else:
            lease = PostgresAdvisoryLease(request.getfixturevalue("postgres_url"), heartbeat=0.05)
        made.append(lease)
        return lease

    yield make
    for lease in made:
        await lease.release()


async def test_one_holder_at_a_time_and_the_next_takes_it_once_released(leases: Callable[[], WriterLease]) -> None:
    first, second = leases(), leases()
    assert await first.acquire()
    assert await first.acquire(), "asking again while holding it is harmless"
    assert not await second.acquire()
    await first.release()
    assert await second.acquire()
    assert not await first.acquire()


async def test_lost_returns_once_the_lease_is_gone(leases: Callable[[], WriterLease]) -> None:
    holder = leases()
    assert await holder.acquire()
    watching = asyncio.create_task(holder.lost())
    await asyncio.sleep(0.2)
    assert not watching.done(), "a held lease is not lost"
    await holder.release()
    await asyncio.wait_for(watching, 5)


async def test_a_postgres_lease_whose_connection_is_cut_is_lost_and_free_for_another(
    postgres_url: str, tmp_path: Path
) -> None:
    holder, standby = PostgresAdvisoryLease(postgres_url, heartbeat=0.05), PostgresAdvisoryLease(postgres_url, heartbeat=0.05)
    try:
        assert await holder.acquire()
        watching = asyncio.create_task(holder.lost())
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'peoplecoin-engine-lease'"
                " AND datname = current_database()"
            )
        await asyncio.wait_for(watching, 10)
        assert await standby.acquire()
    finally:
        await holder.release()
        await standby.release()
