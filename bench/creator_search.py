"""How fast the creator search index answers: 10,000 creators on SQLite (FTS5) and PostgreSQL (tsvector).

Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.creator_search [--docs N] [--runs N] [--backend sqlite|postgres|both]

It builds ``--docs`` seeded, realistic creator documents (accented names,
handles, symbols on most, a headline, 2-8 skills, a 30-120 word bio), puts
them all in one transaction through ``put_document`` on a fresh database
migrated to head, then times ``search`` (one page of 20) for a set of 1-3
word queries, prefixes included, ``--runs`` times each on one open
connection, and prints p50 and p99 per query with the number of creators
the query matches. No assertions: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import tempfile
import time
import unicodedata
from pathlib import Path
from uuid import UUID

import psycopg

from adapters.views.creator_search import SearchDocument, put_document, search
from adapters.views.database import ViewDatabase

POSTGRES = "postgresql://postgres@127.0.0.1:5432/"
PAGE = 20

FIRST = (
    "Maria José Liam Olivia Noah Emma Aiko Chen Fatima Ivan Zoë Mateo Amara Lucas Sofia Yusuf Ingrid Kwame Priya Hugo "
    "Léa Björn Siobhan Kenji Aaliyah Diego Chloé Mohammed Anya Tomás Nadia Oskar Mei Rafael Elif Jonas Ayumi Kofi "
    "Valentina Dmitri Saoirse Marek Leila Andrés Hana Pablo Freya Arjun Camille Ngozi Émile Ines Sven Lucía Omar Yara"
).split()
LAST = (
    "García Smith Tanaka Okafor Müller Rossi Kowalski Nguyen Haddad Larsen Silva Dubois Novak Kim Patel Björk Costa "
    "Moreau Ivanova Reyes O'Brien Schmidt Fernández Sato Mensah Jensen Popescu Horváth Yılmaz Andersson Łukasiewicz "
    "Núñez Lefèvre Wójcik Chowdhury Takahashi Abdullah Kovač Petrov Lindqvist Ferreira Dvořák Nakamura Eriksen Álvarez"
).split()
WORK = (
    "Painter|Songwriter|Chef|Photographer|Game designer|Rust developer|Potter|Dancer|Illustrator|Podcaster|Climber|"
    "Baker|Poet|Film maker|Jeweller|Music producer|Architect|Street artist|Yoga teacher|Streamer|Tattoo artist|"
    "Data scientist|Comedian|Ceramicist|Violinist|Fashion designer|Woodworker|Travel writer|Animator|Chess coach"
).split("|")
CITIES = "Lisbon Osaka Lagos Oslo Lima Berlin Montréal Kraków São Paulo Nairobi Seoul Reykjavík Austin Medellín".split()
SKILLS = (
    "Python|Rust|Oil painting|Ceramics|Guitar|Piano|Photography|Cooking|Writing|Animation|Sculpture|Video editing|"
    "Marketing|Singing|Knitting|Watercolour|Typography|3D modelling|Mixing|Mastering|Storytelling|Public speaking|"
    "Calligraphy|Bouldering|Illustration|UX design|TypeScript|Blender|Lightroom|Ableton|Pottery|Embroidery|Drumming|"
    "Screenwriting|Film editing|Fermentation|Baking|Woodturning|Jewellery|Muay Thai|Chess|Spanish|Japanese|French"
).split("|")
VOCAB = (
    "I make things for people who like things made well based in a small town by the sea have worked with studios "
    "friends and strangers on projects large small share the process as go teaching workshops every month love "
    "collaborating brands galleries festivals albums books films games my work explores memory light colour sound "
    "texture craft slow fast loud quiet tools hands machines code clay paint paper ink wood steel glass thread "
    "since childhood after years in advertising left job to follow this full time supporters get early access "
    "behind the scenes monthly drops limited editions live sessions tutorials commissions open worldwide shipping "
    "award winning self taught trained at academy residency exhibited in london tokyo paris new york mexico city "
    "currently working on second record first novel series of portraits documentary about fishermen open source "
    "library for audio synthesis community garden mural project"
).split()


def ascii_word(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()).lower()


def documents(count: int, seed: int = 42) -> list[SearchDocument]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        handle = f"{ascii_word(first)}_{ascii_word(last)}{i}"[:30]
        symbol = (ascii_word(last)[:3] + f"{i:04}").upper() if rng.random() < 0.7 else None
        docs.append(
            SearchDocument(
                creator_id=UUID(int=rng.getrandbits(128), version=4),
                handle=handle,
                display_name=f"{first} {last}",
                symbol=symbol,
                headline=f"{rng.choice(WORK)} from {rng.choice(CITIES)}" if rng.random() < 0.9 else None,
                bio=" ".join(rng.choices(VOCAB, k=rng.randint(30, 120))).capitalize() + "." if rng.random() < 0.95 else None,
                skills=tuple(rng.sample(SKILLS, rng.randint(2, 8))),
            )
        )
    return docs


def queries(docs: list[SearchDocument]) -> list[str]:
    handle = docs[len(docs) // 3].handle
    symbol = next(d.symbol for d in docs[len(docs) // 2 :] if d.symbol)
    return [
        "a", "ma", "mar", "maria", "garc", "maria garc", "jos gar", "rust", "photo", "music prod",
        "oil paint lisbon", "ceram kyoto", "zzzz", handle, symbol, "sofía núñez", "tattoo artist berlin",
    ]


async def fill(db: ViewDatabase, docs: list[SearchDocument]) -> float:
    started = time.perf_counter()
    async with db.engine.begin() as conn:
        for doc in docs:
            await put_document(conn, doc)
    return time.perf_counter() - started


async def measure(db: ViewDatabase, docs: list[SearchDocument], runs: int, name: str) -> dict[str, list[UUID]]:
    await db.migrate([])
    took = await fill(db, docs)
    print(f"\n{name}: put {len(docs):,} documents in one transaction: {took:.2f} s ({took / len(docs) * 1e6:.0f} µs each)")
    print(f"  {'query':<24} {'matches':>8} {'p50 ms':>8} {'p99 ms':>8}")
    first_pages = {}
    async with db.engine.connect() as conn:
        if not db.is_sqlite:
            await conn.exec_driver_sql("ANALYZE creator_search")
        for query in queries(docs):
            matches = len(await search(conn, query, len(docs), 0))
            first_pages[query] = await search(conn, query, PAGE, 0)
            for _ in range(5):
                await search(conn, query, PAGE, 0)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                await search(conn, query, PAGE, 0)
                times.append(time.perf_counter() - started)
            times.sort()
            p50 = statistics.median(times) * 1e3
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1e3
            print(f"  {query!r:<24} {matches:>8,} {p50:>8.2f} {p99:>8.2f}")
    await db.close()
    return first_pages


async def main(count: int, runs: int, backends: list[str]) -> None:
    docs = documents(count)
    print(f"creator search: {count:,} documents, {runs} runs per query, a page of {PAGE}, one open connection")
    pages = []
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'views.sqlite3'}"
            pages.append(await measure(ViewDatabase(url), docs, runs, "SQLite FTS5"))
    if "postgres" in backends:
        name = "peoplecoin_bench_" + secrets.token_hex(6)
        with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
            pages.append(await measure(ViewDatabase(url), docs, runs, "PostgreSQL tsvector"))
        finally:
            with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("\nmatches: every creator the query finds (not timed); p50/p99: search() for one page, the query's words "
          "parsed and the page fetched")
    if len(pages) == 2:
        sqlite, postgres = pages
        best = sum(sqlite[q][:1] == postgres[q][:1] for q in sqlite)
        same = sum(sqlite[q] == postgres[q] for q in sqlite)
        shared = sum(len(set(sqlite[q]) & set(postgres[q])) for q in sqlite)
        print(f"SQLite and PostgreSQL agree on the best match for {best}/{len(sqlite)} queries, on the whole first page "
              f"for {same}/{len(sqlite)}; their first pages share {shared}/{sum(map(len, sqlite.values()))} creators")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    asyncio.run(main(args.docs, args.runs, ["sqlite", "postgres"] if args.backend == "both" else [args.backend]))
