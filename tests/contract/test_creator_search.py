"""The creator search index: the same assertions against SQLite (FTS5) and PostgreSQL (tsvector).

The two engines score differently (bm25, ts_rank_cd); every order asserted
here is one the field weights or the exact-match rule decide, so both agree.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text

from adapters.views.creator_search import (
    MAX_QUERY_WORD,
    MAX_QUERY_WORDS,
    BlankQuery,
    SearchDocument,
    clear,
    put_document,
    query_words,
    remove_document,
    search,
)
from adapters.views.database import ViewDatabase, sqlalchemy_url
from application.errors import InvalidQuery


def doc(
    handle: str,
    display_name: str,
    *,
    symbol: str | None = None,
    headline: str | None = None,
    bio: str | None = None,
    skills: Iterable[str] = (),
    creator_id: UUID | None = None,
) -> SearchDocument:
    return SearchDocument(creator_id or uuid4(), handle, display_name, symbol, headline, bio, tuple(skills))


@pytest.fixture(params=["sqlite", "postgres"])
def open_db(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], ViewDatabase]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'views.sqlite3'}"
    else:
        url = sqlalchemy_url(request.getfixturevalue("postgres_url"))
    return lambda: ViewDatabase(url)


@pytest.fixture
async def db(open_db: Callable[[], ViewDatabase]) -> AsyncIterator[ViewDatabase]:
    database = open_db()
    await database.migrate([])
    yield database
    await database.close()


class Index:
    """The module's functions, each in a transaction of its own, as a test reads them."""

    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    async def put(self, *docs: SearchDocument) -> None:
        async with self.db.engine.begin() as conn:
            for d in docs:
                await put_document(conn, d)

    async def remove(self, creator_id: UUID) -> None:
        async with self.db.engine.begin() as conn:
            await remove_document(conn, creator_id)

    async def clear(self) -> None:
        async with self.db.engine.begin() as conn:
            await clear(conn)

    async def search(self, query: str, limit: int = 50, offset: int = 0) -> list[UUID]:
        async with self.db.engine.connect() as conn:
            return await search(conn, query, limit, offset)

    async def size(self) -> int:
        """How many creators the index holds; on SQLite, once FTS5 has checked its index against its content."""
        async with self.db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                await conn.execute(text("INSERT INTO creator_search_fts (creator_search_fts) VALUES ('integrity-check')"))
            return int(await conn.scalar(text("SELECT count(*) FROM creator_search")) or 0)


@pytest.fixture
def index(db: ViewDatabase) -> Index:
    return Index(db)



ALICE = doc("alice_w", "Alice Wonder", symbol="ALW", headline="Painter of small things", skills=["Oil painting", "Rust"])
ALINA = doc("alina", "Alina Ray", headline="Singer", bio="Tours with a painter friend")
BOB = doc("bobby", "Bob Marley", headline="Painter and singer")


async def test_a_word_finds_the_words_it_begins_whatever_the_case(index: Index) -> None:
    await index.put(ALICE, ALINA, BOB)
    assert set(await index.search("ali")) == {ALICE.creator_id, ALINA.creator_id}
    assert set(await index.search("ALI")) == {ALICE.creator_id, ALINA.creator_id}
    assert await index.search("alice") == [ALICE.creator_id]
    assert await index.search("lice") == []  # a prefix of a word, not any part of it
    assert await index.search("alicea") == []


async def test_every_word_of_the_query_must_match_somewhere_in_the_document(index: Index) -> None:
    await index.put(ALICE, ALINA, BOB)
    assert await index.search("alina singer") == [ALINA.creator_id]
    assert await index.search("sing paint") == [BOB.creator_id, ALINA.creator_id]  # her painter is in her bio
    assert await index.search("alice rust") == [ALICE.creator_id]  # the name and a skill
    assert await index.search("alice singer") == []
    assert await index.search("ali paint") == [ALICE.creator_id, ALINA.creator_id]  # Alina's painter is in her bio


async def test_a_name_ranks_above_a_headline_and_a_headline_above_a_bio(index: Index) -> None:
    in_name = doc("marco_p", "Marco Polo")
    in_headline = doc("traveller", "Rustichello", headline="Wrote down what Marco said")
    in_bio = doc("kublai", "Kublai Khan", bio="Once received a Venetian called Marco at court")
    await index.put(in_bio, in_headline, in_name)
    assert await index.search("marco") == [in_name.creator_id, in_headline.creator_id, in_bio.creator_id]
    assert await index.search("MARCO") == [in_name.creator_id, in_headline.creator_id, in_bio.creator_id]


async def test_skills_and_headline_are_searched(index: Index) -> None:
    await index.put(ALICE, ALINA, BOB)
    assert await index.search("oil") == [ALICE.creator_id]
    assert await index.search("rust") == [ALICE.creator_id]
    assert await index.search("small things") == [ALICE.creator_id]
    assert set(await index.search("singer")) == {ALINA.creator_id, BOB.creator_id}


async def test_an_exact_handle_ranks_first_above_better_scored_matches(index: Index) -> None:
    exact = doc("bob", "Robert Stone")
    louder = doc("bobby_bobson", "Bob Bobby Bobson", headline="Bob of all trades", skills=["bobsleigh"])
    await index.put(louder, exact)
    assert await index.search("bob") == [exact.creator_id, louder.creator_id]
    assert await index.search("BOB") == [exact.creator_id, louder.creator_id]
    assert await index.search("@Bob") == [exact.creator_id, louder.creator_id]
    assert await index.search("bobby") == [louder.creator_id]
    assert await index.search("bobby bobson") == [louder.creator_id]


async def test_an_exact_symbol_ranks_first_above_better_scored_matches(index: Index) -> None:
    exact = doc("zed_zulu", "Zed Zulu", symbol="STAR")
    louder = doc("starling", "Star Starling", headline="A star among stars", symbol="STRL")
    await index.put(louder, exact)
    assert await index.search("star") == [exact.creator_id, louder.creator_id]
    assert await index.search("$star") == [exact.creator_id, louder.creator_id]
    assert await index.search("sta") == [louder.creator_id, exact.creator_id]  # a prefix is not exact
    assert await index.search("strl") == [louder.creator_id]


async def test_accents_and_letters_that_do_not_decompose_are_folded_on_both_sides(index: Index) -> None:
    jose = doc("jose_garcia", "José García", headline="Músico")
    zoe = doc("zoe", "Zoë Øster-Łukasz", bio="Lives in München; straße")
    plain = doc("jose_plain", "Jose Garcia")
    await index.put(jose, zoe, plain)
    assert set(await index.search("jose")) == {jose.creator_id, plain.creator_id}
    assert set(await index.search("JOSÉ GARCÍA")) == {jose.creator_id, plain.creator_id}
    assert await index.search("musico") == [jose.creator_id]
    for query in ("zoe", "zoë", "oster", "lukasz", "munchen", "münchen", "strasse", "straße"):
        assert await index.search(query) == [zoe.creator_id], query


async def test_a_replaced_document_is_found_by_its_new_words_only_and_once(index: Index) -> None:
    old = doc("alice_w", "Alice Wonder", symbol="ALW")
    await index.put(old, BOB)
    new = doc("alice_w", "Alicia Marvel", symbol="AMV", skills=["Sculpture"], creator_id=old.creator_id)
    await index.put(new)
    assert await index.search("wonder") == []
    assert await index.search("alw") == []
    assert await index.search("marvel") == [old.creator_id]
    assert await index.search("amv") == [old.creator_id]
    assert await index.search("ali") == [old.creator_id]
    assert await index.search("sculpt") == [old.creator_id]
    assert await index.search("bob") == [BOB.creator_id]
    assert await index.size() == 2


async def test_a_removed_document_is_no_longer_found_and_removing_twice_is_no_error(index: Index) -> None:
    await index.put(ALICE, ALINA, BOB)
    await index.remove(ALICE.creator_id)
    await index.remove(ALICE.creator_id)
    await index.remove(uuid4())
    assert await index.search("ali") == [ALINA.creator_id]
    assert await index.search("paint") == [BOB.creator_id, ALINA.creator_id]
    assert await index.size() == 2
    await index.put(ALICE)  # and can come back
    assert set(await index.search("ali")) == {ALICE.creator_id, ALINA.creator_id}


async def test_clear_empties_the_index_which_fills_again(index: Index) -> None:
    await index.put(ALICE, ALINA, BOB)
    await index.clear()
    assert await index.search("ali") == []
    assert await index.search("bob") == []
    assert await index.size() == 0
    await index.put(BOB)
    assert await index.search("bob") == [BOB.creator_id]


async def test_writes_rolled_back_with_their_transaction_leave_the_index_as_it_was(index: Index, db: ViewDatabase) -> None:
    await index.put(ALICE)
    with pytest.raises(RuntimeError):
        async with db.engine.begin() as conn:
            await put_document(conn, BOB)
            await remove_document(conn, ALICE.creator_id)
            raise RuntimeError("the view's batch failed")
    assert await index.search("bob") == []
    assert await index.search("alice") == [ALICE.creator_id]


async def test_documents_of_any_text_are_indexed_by_their_words_alone(index: Index) -> None:
    weird = doc(
        "weird_one",
        'Robert"); DROP TABLE creator_search; --\x00\x1b[31m 🙂',
        headline="NEAR(a b) OR * : & | ! ' \\ %_ $1 ?",
        bio="word " * 3_000 + "z" * 20_000 + " tail",
        skills=["C++", "C#", "", "🙂", "Ünïcödé"],
    )
    emoji_only = doc("emoji_only", "🙂🙂", skills=())
    await index.put(weird, emoji_only)
    assert await index.search("robert drop table") == [weird.creator_id]
    assert await index.search("near or") == [weird.creator_id]
    assert await index.search("word tail") == [weird.creator_id]
    assert await index.search("z" * 5_000) == [weird.creator_id]  # the query keeps 64 characters, a prefix
    assert await index.search("c unicode") == [weird.creator_id]
    assert await index.search("emoji") == [emoji_only.creator_id]
    assert await index.size() == 2


async def test_equal_scores_page_in_creator_id_order_without_gaps_or_repeats(index: Index) -> None:
    same = [doc(f"same_{i:02}", "Same Name", headline="Same headline") for i in range(25)]
    await index.put(*same)
    everything = await index.search("same name", limit=100)
    assert everything == sorted(d.creator_id for d in same)
    pages = [await index.search("same name", limit=10, offset=o) for o in (0, 10, 20, 30)]
    assert [len(p) for p in pages] == [10, 10, 5, 0]
    assert [i for p in pages for i in p] == everything
    assert await index.search("same", limit=0) == []


async def test_an_empty_or_blank_query_is_refused_as_invalid_query(index: Index) -> None:
    await index.put(ALICE)
    for query in ("", " ", "\t\n", "\u3000"):
        with pytest.raises(BlankQuery) as refused:
            await index.search(query)
        assert isinstance(refused.value, InvalidQuery) and isinstance(refused.value, ValueError)
        assert refused.value.code == "invalid_query"


ONLY_SYNTAX = [
    '"', "*", ":*", "'", "\\", "%", "_", "-", "()", "&|!", "^", "{}", "🙂", "🙂🙂 👍🏽", "\x00", "\x01\x02\x7f",
    "\u200b", "''::*", '"*"', '"""', "\u0301", "$", "@", "\ufeff\u202e",
]

HOSTILE = [
    "a OR b", "alice OR bob", "alice AND", "NOT alice", "-alice", "alice NOT bob", "NEAR(alice bob)", "alice NEAR bob",
    'alice"', '"alice', '"alice"*', "alice*", "ali:*", "alice:* | bob:*", "alice & !bob", "alice | bob", "(alice",
    "alice)", "display_name:alice", "handle : bob", "{handle}: bob", "alice' OR '1'='1", "alice\\", "alice%", "al_ce",
    "alice\x00bob", "ali\x01ce", "alice 🙂 bob", "%%%alice%%%", "a" * 10_000, "alice " * 2_000, "x" * 100 + " alice",
    "^alice", "alice + bob", "NEAR(", "alice -- ;DROP TABLE creator_search_fts;", "bob'; DELETE FROM creator_search; --",
]


async def test_queries_of_only_syntax_punctuation_emoji_or_control_characters_are_blank(index: Index) -> None:
    await index.put(ALICE, ALINA, BOB)
    for query in ONLY_SYNTAX:
        with pytest.raises(BlankQuery):
            await index.search(query)


async def test_hostile_queries_never_raise_nor_match_everything(index: Index) -> None:
    await index.put(ALICE, ALINA, BOB)
    everyone = {ALICE.creator_id, ALINA.creator_id, BOB.creator_id}
    for query in HOSTILE:
        found = await index.search(query)
        assert len(found) == len(set(found)) and set(found) < everyone, query
    assert await index.search("alice OR bob") == []  # OR is a word like any other, and nobody has it
    assert await index.search("NOT alice") == []
    assert await index.search('"alice"*') == [ALICE.creator_id]
    assert set(await index.search("ali:*")) == {ALICE.creator_id, ALINA.creator_id}
    assert await index.search("display_name:alice") == []  # no column filter: "display" and "name" are words
    assert await index.search("alice' OR '1'='1") == []
    assert await index.search("bob'; DELETE FROM creator_search; --") == []
    assert await index.search("bob") == [BOB.creator_id]  # nothing was deleted
    assert await index.search("a" * 10_000) == []


def test_the_words_of_a_query_are_folded_letters_and_digits_at_most_ten_of_at_most_64_characters() -> None:
    assert query_words('  Alice  "Wonder"* OR -bob:* NEAR(x) ') == ["alice", "wonder", "or", "bob", "near", "x"]
    assert query_words("José GARCÍA straße Øster web3 x²") == ["jose", "garcia", "strasse", "oster", "web3", "x2"]
    assert query_words("alice alice ALICE") == ["alice"]
    assert query_words(" ".join(f"w{i}" for i in range(20))) == [f"w{i}" for i in range(MAX_QUERY_WORDS)]
    assert query_words("a" * 10_000) == ["a" * MAX_QUERY_WORD]
    assert query_words("alice_w") == ["alice", "w"]
    assert query_words("日本語 مرحبا") == ["日本語", "مرحبا"]
    for query in ONLY_SYNTAX:
        with pytest.raises(BlankQuery):
            query_words(query)


FIRST = ["Maria", "José", "Liam", "Olivia", "Noah", "Emma", "Aiko", "Chen", "Fatima", "Ivan", "Zoë", "Mateo", "Amara",
         "Lucas", "Sofia", "Yusuf", "Ingrid", "Kwame", "Priya", "Hugo"]
LAST = ["García", "Smith", "Tanaka", "Okafor", "Müller", "Rossi", "Kowalski", "Nguyen", "Haddad", "Larsen", "Silva",
        "Dubois", "Novak", "Kim", "Patel", "Björk", "Costa", "Moreau", "Ivanova", "Reyes"]
WORK = ["Painter", "Songwriter", "Chef", "Photographer", "Game designer", "Rust developer", "Potter", "Dancer",
        "Illustrator", "Podcaster", "Climber", "Baker", "Poet", "Film maker", "Jeweller"]
SKILLS = ["Python", "Rust", "Oil painting", "Ceramics", "Guitar", "Piano", "Photography", "Cooking", "Writing",
          "Animation", "Sculpture", "Video editing", "Marketing", "Singing", "Knitting"]
BIO = ("I make things for people who like things made well. Based in a small town by the sea, I have worked with "
       "studios, friends and strangers on projects large and small, and I share the process as I go.").split()


def crowd(count: int, seed: int = 8) -> list[SearchDocument]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        ascii_name = unicodedata.normalize("NFKD", f"{first}_{last}").encode("ascii", "ignore").decode().lower()
        docs.append(
            SearchDocument(
                creator_id=UUID(int=rng.getrandbits(128), version=4),
                handle=f"{ascii_name}_{i}",
                display_name=f"{first} {last}",
                symbol=f"T{i:05}" if i % 2 else None,
                headline=f"{rng.choice(WORK)} from {rng.choice(['Lisbon', 'Osaka', 'Lagos', 'Oslo', 'Lima'])}",
                bio=" ".join(rng.sample(BIO, 20)),
                skills=tuple(rng.sample(SKILLS, 3)),
            )
        )
    return docs


async def test_ten_thousand_documents_answer_with_the_right_creators_in_order(index: Index) -> None:
    docs = crowd(10_000)
    needle = doc("zyxwvut", "Zyxwvut Needle", headline="Painter", bio="Friend of Maria García")
    in_bio = doc("someone_else", "Someone Else", bio="Once met Zyxwvut Needle")
    await index.put(*docs, needle, in_bio)  # one transaction

    assert await index.search("zyx") == [needle.creator_id, in_bio.creator_id]
    assert await index.search("needle zyxwvut") == [needle.creator_id, in_bio.creator_id]
    assert await index.search("zyx", limit=1, offset=1) == [in_bio.creator_id]

    target = docs[4242]
    assert (await index.search(target.handle, limit=5))[0] == target.creator_id
    odd = docs[777]
    assert odd.symbol is not None and await index.search(odd.symbol, limit=5) == [odd.creator_id]

    found = await index.search("maria garc", limit=1000)
    expected = {d.creator_id for d in docs if d.display_name == "Maria García"}
    assert len(expected) > 10 and set(found) == expected | {needle.creator_id}
    assert found[-1] == needle.creator_id  # the only one whose Maria García is in a bio

    by_id = {d.creator_id: d for d in docs}
    rusty = await index.search("rust", limit=200)
    assert len(rusty) == 200
    assert all("Rust" in (by_id[i].headline or "") or "Rust" in by_id[i].skills for i in rusty)
    pages = [await index.search("rust", limit=50, offset=o) for o in range(0, 200, 50)]
    assert [i for p in pages for i in p] == rusty
