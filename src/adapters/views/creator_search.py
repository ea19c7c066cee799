"""The creator search index: full text over a creator's words, FTS5 on SQLite and a tsvector on PostgreSQL.

A building block, not a view: the creators view calls ``put_document``,
``remove_document`` and ``clear`` inside its own write transaction, so the
index moves with the view's rows and position; ``search`` answers
``GET /creators/search`` (CREATORS.md, "Lists and search").

Both backends index *our* words, not their own tokenizer's: ``_words``
case-folds, decomposes (NFKD), drops combining marks and folds the few Latin
letters that do not decompose (ø, ł, đ, æ, …), then keeps runs of unicode
letters and digits. SQLite receives those words joined by spaces (its
``unicode61`` tokenizer splits them back as they are); PostgreSQL receives a
``tsvector`` literal with the words, their positions and their weights, so
its parser, its text search configuration and its locale never see the
text. That is the ``simple`` configuration without its parser: no stemming,
no stop words, and ``jose`` finds ``José`` on both without the ``unaccent``
extension. The query goes through the same ``_words``, and every word is
quoted before it reaches FTS5 or ``tsquery``: a word holds only letters and
digits, so no query syntax (``"``, ``*``, ``:``, ``&``, ``NEAR``, ``OR``, …)
can reach either engine.

Ranking: a creator whose handle or token symbol is the whole query comes
first (both compared as words, so ``@Alice_B`` is exactly ``alice_b``);
then the engine's score with one weight per field group (A: display name,
handle, symbol = 1.0; B: headline, skills = 0.4; C: bio = 0.2), as
``ts_rank_cd`` on PostgreSQL (scaled down for long documents, as bm25
does) and ``bm25`` on SQLite; then the creator id, so equal scores page in
a stable order. The scores differ between the two; the order agrees
wherever the field weights decide it, and often elsewhere, not always.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    Uuid,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from application.errors import InvalidQuery

MAX_QUERY_WORDS = 10
MAX_QUERY_WORD = 64  # characters; a longer word is cut, which keeps it a prefix of what was typed
MAX_INDEXED_WORD = 255  # characters; PostgreSQL refuses a lexeme over 2,047 bytes, and both must index the same

_FIELDS = ("display_name", "handle", "symbol", "headline", "skills", "bio")
_WEIGHTS = {"display_name": "A", "handle": "A", "symbol": "A", "headline": "B", "skills": "B", "bio": "C"}
_PG_RANK_WEIGHTS = "'{0.1, 0.2, 0.4, 1.0}'::float4[]"  # ts_rank_cd's {D, C, B, A}
# Divided by 1 + log(words in the document): bm25 also favours the shorter document, so the two orders agree far more
# (bench.creator_search's queries: the same best match 17/17, the same first page 10/17; without it 6/17 and 5/17).
_PG_RANK_NORMALIZATION = "1"
_BM25_WEIGHTS = {"A": 10.0, "B": 4.0, "C": 2.0}  # the same ratios, per FTS5 column

# Both backends hold a ``creator_search`` table, one row per creator, with the handle and the symbol as an exact
# query reads them (their words joined by a space). The other columns differ, so each dialect has a MetaData of
# its own, and they live here rather than in tables.py. Migration 0008 creates them.
_postgres = MetaData()
_sqlite = MetaData()

pg_documents = Table(
    "creator_search",
    _postgres,
    Column("creator_id", Uuid, primary_key=True),
    Column("handle", Text, nullable=False),
    Column("symbol", Text),
    Column("document", TSVECTOR, nullable=False),  # every word with its positions and weights; a GIN index
)

sqlite_documents = Table(  # each field's words: the external content of creator_search_fts, kept in step by triggers
    "creator_search",
    _sqlite,
    Column("id", Integer, primary_key=True),  # the FTS5 rowid
    Column("creator_id", Uuid, nullable=False, unique=True),
    *(Column(f, Text) for f in _FIELDS),
)

sqlite_fts = Table(  # FTS5, tokenize 'unicode61 remove_diacritics 2'; bm25 takes one weight per column, in order
    "creator_search_fts",
    _sqlite,
    Column("creator_id", Uuid),  # UNINDEXED: searches read it from creator_search
    *(Column(f, Text) for f in _FIELDS),
)


class BlankQuery(InvalidQuery, ValueError):
    """The query holds no letter or digit (empty, blank, punctuation, emoji): 422 invalid_query."""


@dataclass(frozen=True, slots=True)
class SearchDocument:
    creator_id: UUID
    handle: str
    display_name: str
    symbol: str | None
    headline: str | None
    bio: str | None
    skills: tuple[str, ...]


def query_words(text: str) -> list[str]:
    """The words of a user's query as the index holds them: folded, de-accented, letters and digits only.

    At most MAX_QUERY_WORDS distinct words (the first ones), each cut to MAX_QUERY_WORD characters. Raises
    BlankQuery when no word is left.
    """
    words: list[str] = []
    for word in _words(text):
        word = word[:MAX_QUERY_WORD]
        if word not in words:
            words.append(word)
            if len(words) == MAX_QUERY_WORDS:
                break
    if not words:
        raise BlankQuery("the query needs a letter or a digit")
    return words


async def put_document(conn: AsyncConnection, doc: SearchDocument) -> None:
    """Index a creator, replacing what was indexed for them before (one statement)."""
    words = {field: _indexed(text) for field, text in _field_texts(doc)}
    joined = {field: " ".join(w) or None for field, w in words.items()}
    if conn.dialect.name == "postgresql":
        row = {"handle": joined["handle"] or "", "symbol": joined["symbol"], "document": _tsvector(words)}
        await conn.execute(_PG_PUT, {"creator_id": doc.creator_id, **row})
    else:
        await conn.execute(_SQLITE_PUT, {"creator_id": doc.creator_id, **joined})


async def remove_document(conn: AsyncConnection, creator_id: UUID) -> None:
    """Take a creator out of the index; a creator not in it is no error."""
    documents = _documents(conn)
    await conn.execute(delete(documents).where(documents.c.creator_id == creator_id))


async def clear(conn: AsyncConnection) -> None:
    """Empty the index (a view's reset, before a rebuild)."""
    await conn.execute(delete(_documents(conn)))


async def search(conn: AsyncConnection, query: str, limit: int, offset: int) -> list[UUID]:
    """The ids of the creators matching every word of ``query`` as a prefix, best first, then by creator id.

    Raises BlankQuery when the query has no word.
    """
    words = query_words(query)
    if offset < 0:
        raise ValueError("offset is negative")
    if limit <= 0:
        return []
    if conn.dialect.name == "postgresql":
        statement, match = _PG_SEARCH, " & ".join(f"{_quoted(w)}:*" for w in words)
    else:
        statement, match = _SQLITE_SEARCH, " AND ".join(f'"{w}"*' for w in words)
    params = {"match": match, "exact": " ".join(words), "limit": limit, "offset": offset}
    return list((await conn.execute(statement, params)).scalars())


def _field_texts(doc: SearchDocument) -> Iterator[tuple[str, str | None]]:
    yield "display_name", doc.display_name
    yield "handle", doc.handle
    yield "symbol", doc.symbol
    yield "headline", doc.headline
    yield "skills", "\n".join(doc.skills)
    yield "bio", doc.bio


def _tsvector(words: dict[str, list[str]]) -> str:
    """A tsvector literal: every word with its positions, each position with its field's weight.

    PostgreSQL keeps positions up to 16,383 and 256 of them per word, and caps the rest itself.
    """
    positions: dict[str, list[str]] = {}
    position = 0
    for field in _FIELDS:
        for word in words[field]:
            position += 1
            positions.setdefault(word, []).append(f"{position}{_WEIGHTS[field]}")
    return " ".join(f"{_quoted(w)}:{','.join(p)}" for w, p in positions.items())


def _indexed(text: str | None) -> list[str]:
    return [] if text is None else [w[:MAX_INDEXED_WORD] for w in _words(text)]


_WORD = re.compile(r"[^\W_]+")  # unicode letters and digits: \w without the underscore
_MARKS = frozenset(("Mn", "Mc", "Me"))
_UNDECOMPOSED = str.maketrans(  # Latin letters NFKD leaves whole
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)


def _words(text: str) -> Iterator[str]:
    """The one tokenizer, for documents and queries alike."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    if not plain.isascii():
        plain = "".join(ch for ch in plain if unicodedata.category(ch) not in _MARKS).translate(_UNDECOMPOSED)
    return (m.group() for m in _WORD.finditer(plain))


def _quoted(word: str) -> str:
    """A word as a tsvector or tsquery lexeme; it holds only letters and digits, the escapes are belt and braces."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _documents(conn: AsyncConnection) -> Table:
    return pg_documents if conn.dialect.name == "postgresql" else sqlite_documents


def _exact_first(t: Table) -> ColumnElement[int]:
    exact = bindparam("exact", type_=Text)
    return case((or_(t.c.handle == exact, t.c.symbol == exact), 0), else_=1)


def _paged(statement: Select[Any]) -> Select[Any]:
    return statement.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))


# The statements, built once: a put or a search only binds its values.

_pg_insert = pg_insert(pg_documents).values(
    creator_id=bindparam("creator_id"),
    handle=bindparam("handle"),
    symbol=bindparam("symbol"),
    document=cast(bindparam("document", type_=Text), TSVECTOR),
)
_PG_PUT = _pg_insert.on_conflict_do_update(
    index_elements=["creator_id"], set_={c: _pg_insert.excluded[c] for c in ("handle", "symbol", "document")}
)
_sqlite_insert = sqlite_insert(sqlite_documents)
_SQLITE_PUT = _sqlite_insert.on_conflict_do_update(
    index_elements=["creator_id"], set_={f: _sqlite_insert.excluded[f] for f in _FIELDS}
)

_tsquery = cast(bindparam("match", type_=Text), TSQUERY)
_PG_SEARCH = _paged(
    select(pg_documents.c.creator_id)
    .where(pg_documents.c.document.op("@@")(_tsquery))
    .order_by(
        _exact_first(pg_documents),
        func.ts_rank_cd(
            literal_column(_PG_RANK_WEIGHTS), pg_documents.c.document, _tsquery, literal_column(_PG_RANK_NORMALIZATION)
        ).desc(),
        pg_documents.c.creator_id,
    )
)
# The FTS5 table finds and scores; its content table gives the id, handle and symbol by rowid, which reads them
# about twice as fast as FTS5's own columns do (each of those is a query of the content table).
_fts = literal_column(sqlite_fts.name)
_SQLITE_SEARCH = _paged(
    select(sqlite_documents.c.creator_id)
    .select_from(sqlite_fts.join(sqlite_documents, sqlite_documents.c.id == literal_column(f"{sqlite_fts.name}.rowid")))
    .where(_fts.op("MATCH")(bindparam("match", type_=Text)))
    .order_by(
        _exact_first(sqlite_documents),
        func.bm25(_fts, literal_column("0.0"), *(literal_column(str(_BM25_WEIGHTS[_WEIGHTS[f]])) for f in _FIELDS)),
        sqlite_documents.c.creator_id,
    )
)
