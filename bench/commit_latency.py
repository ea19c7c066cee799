"""What one durable commit costs on this machine: SQLite (WAL, synchronous=FULL) and PostgreSQL, one writer.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.commit_latency [--commits 2000] [--backend sqlite|postgres|both]

Each commit is one transaction that inserts one row of 300 bytes (about a
small event) and commits, one after another on one connection (closed loop,
no other load), timed from the INSERT to the end of the COMMIT: the floor
under any durable acknowledgement, group commit or not, since a command's
answer waits for one commit at least. SQLite runs in a scratch file in a
temporary directory with the pragmas the event store and the reference
server use (WAL, synchronous=FULL); PostgreSQL in a scratch database on the
local server (``bench.http_load.database_for``), with the server's own
settings, which it prints (``synchronous_commit``, ``fsync``,
``wal_sync_method``, ``commit_delay``). It prints p50 / p90 / p99 / p99.9 /
max in milliseconds. Nothing asserts a figure.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_load import database_for  # noqa: E402
from bench.ws_load import percentiles  # noqa: E402

ROW = os.urandom(150).hex().encode()  # 300 bytes


def timed(commits: int, commit_one: Callable[[int], None]) -> list[float]:
    for i in range(min(100, commits)):  # warm up: files, caches, the server's plan
        commit_one(-1 - i)
    took = []
    for i in range(commits):
        started = time.perf_counter()
        commit_one(i)
        took.append(time.perf_counter() - started)
    return took


def sqlite_commits(commits: int) -> tuple[list[float], str]:
    with tempfile.TemporaryDirectory(prefix="peoplecoin-commit-") as tmp:
        db = sqlite3.connect(Path(tmp) / "commits.sqlite3", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")

        def commit_one(i: int) -> None:
            db.execute("BEGIN")
            db.execute("INSERT INTO t (id, body) VALUES (?, ?)", (i, ROW))
            db.execute("COMMIT")

        took = timed(commits, commit_one)
        db.close()
        return took, f"WAL, synchronous=FULL, in {tempfile.gettempdir()}"


def postgres_commits(commits: int) -> tuple[list[float], str]:
    import psycopg

    with database_for("postgres") as url:
        assert url is not None
        with psycopg.connect(url) as db:
            settings = ", ".join(
                f"{name}={db.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
                for name in ("synchronous_commit", "fsync", "wal_sync_method", "commit_delay")
            )
            db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, body BYTEA NOT NULL)")
            db.commit()

            def commit_one(i: int) -> None:
                db.execute("INSERT INTO t (id, body) VALUES (%s, %s)", (i, ROW))
                db.commit()

            return timed(commits, commit_one), settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.commit_latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=2_000, help="commits timed per backend (2000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"commit_latency: {args.commits:,} single-row commits per backend, one writer, closed loop")
    print(f"{'backend':<12}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}{'max ms':>9}{'commits/s':>11}  settings")
    for backend in backends:
        took, settings = (sqlite_commits if backend == "sqlite" else postgres_commits)(args.commits)
        p = percentiles(took)  # type: ignore[arg-type]
        print(
            f"{backend:<12}" + "".join(f"{1000 * p[k]:>{w}.2f}" for k, w in (("p50", 9), ("p90", 9), ("p99", 9), ("p99.9", 10), ("max", 9)))  # type: ignore[operator]
            + f"{len(took) / sum(took):>11,.0f}  {settings}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
