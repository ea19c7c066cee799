"""The creator side's rules (CREATORS.md), without infrastructure: profiles, onboarding, documents, follows."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.creator.creator import Creator, HandleClaim, ProfileEdit, creator_id_for
from domain.creator.documents import DocumentKind, LegalDocument, Signatory, document_stream, signing_message
from domain.creator.errors import (
    AlreadyCreator,
    ApplicationDecided,
    ApplicationPending,
    CannotFollowSelf,
    HandleTaken,
    InvalidHandle,
    InvalidInvitation,
    InvalidProfile,
    InvitationUsed,
    SymbolUnavailable,
    TopicNotFound,
    UnknownSection,
    WrongSigningMessage,
)
from domain.creator.onboarding import (
    Applicant,
    ApplicationStatus,
    CreatorApplication,
    Invitation,
    SymbolReason,
    SymbolReservation,
    symbol_shape,
)
from domain.creator.profile import Achievement, Education, Link, SectionDraft, Skill, WorkExperience, normalise_handle
from domain.creator.social import Follow, TrendingTopic
from domain.shared.text import InvalidText

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)
ALICE, BOB = UUID(int=1), UUID(int=2)
WALLET = "0x" + "a" * 64


def ids() -> object:
    counter = iter(range(1000, 10**6))
    return lambda: UUID(int=next(counter))


def creator(**extra: object) -> Creator:
    c = Creator(creator_id_for(ALICE))
    c.create(
        user_id=ALICE, wallet_address=WALLET, handle="Alice_1", display_name="Alice", category="music",
        headline=None, bio=None, token_id=None, application_id=None, at=AT, **extra,  # type: ignore[arg-type]
    )
    return c


def replayed(aggregate: Creator) -> Creator:
    events = aggregate.collect_events()
    return Creator.replay(aggregate.id, events)


# ----- handles -----


@pytest.mark.parametrize("given, kept", [("alice", "alice"), ("Alice_1", "alice_1"), (" bob ", "bob"), ("a" * 30, "a" * 30), ("123", "123")])
def test_a_handle_is_3_to_30_of_a_z_digits_and_underscore_kept_in_lower_case(given: str, kept: str) -> None:
    assert normalise_handle(given) == kept


@pytest.mark.parametrize("bad", ["al", "a" * 31, "al-ice", "al ice", "alicé", "", "search", "feed", "me", "admin"])
def test_a_handle_out_of_shape_or_reserved_is_refused(bad: str) -> None:
    with pytest.raises(InvalidHandle):
        normalise_handle(bad)


def test_a_handle_with_a_control_character_is_invalid_text() -> None:
    with pytest.raises(InvalidText):
        normalise_handle("ali\x00ce")


def test_a_handle_is_held_by_one_owner_at_a_time() -> None:
    claim = HandleClaim(uuid4())
    claim.claim("alice", ALICE, AT)
    claim.claim("alice", ALICE, AT)  # the holder again: nothing new
    assert len(claim.collect_events()) == 1
    with pytest.raises(HandleTaken):
        claim.claim("alice", BOB, AT)
    claim.release("alice", BOB, AT)  # not the holder: nothing
    assert claim.holder == ALICE
    claim.release("alice", ALICE, AT)
    claim.claim("alice", BOB, AT)
    assert claim.holder == BOB


# ----- the profile -----


def test_a_full_edit_is_kept_in_the_order_given_and_replays_to_the_same_creator() -> None:
    c = creator()
    new_id = ids()
    changed = c.edit(
        ProfileEdit(
            headline="Songwriter",
            bio="# Hi\n\n*markdown* kept as given <script>",
            avatar_url="https://cdn.example.com/a.png",
            website="http://example.com/",
            location="Lisbon",
            links=[Link("x", "https://x.com/alice"), Link("youtube", "https://youtube.com/@alice")],
            skills=[Skill("guitar", 5), Skill("singing", None)],
            achievements=[Achievement("Gold record", "for an album", "2024-02-29")],
            work_experiences=[WorkExperience("Singer", "Band", "2019-01-01", "2021-06-30", None)],
            education=[Education("Conservatory", "BA", "Music", "2015-09-01", "2019-06-30")],
            content_sections=[SectionDraft("About", "long text"), SectionDraft("Tour", "dates")],
        ),
        new_id,  # type: ignore[arg-type]
        AT,
    )
    assert set(changed) == {"headline", "bio", "avatar_url", "website", "location", "links", "skills", "achievements",
                            "work_experiences", "education", "content_sections"}
    assert [s.title for s in c.content_sections] == ["About", "Tour"]
    assert [s.position for s in c.content_sections] == [1, 2]
    assert c.bio == "# Hi\n\n*markdown* kept as given <script>"
    again = replayed(c)
    assert {k: getattr(again, k) for k in vars_of(c)} == {k: getattr(c, k) for k in vars_of(c)}


def vars_of(c: Creator) -> list[str]:
    return [k for k in ("handle", "display_name", "headline", "bio", "avatar_url", "banner_url", "category", "location",
                        "website", "links", "skills", "achievements", "work_experiences", "education",
                        "content_sections", "verified", "updated_at")]


def test_sections_keep_their_ids_when_sent_back_and_new_ones_are_named_published() -> None:
    c = creator()
    new_id = ids()
    c.edit(ProfileEdit(content_sections=[SectionDraft("One", "a"), SectionDraft("Two", "b")]), new_id, AT)  # type: ignore[arg-type]
    one, two = c.content_sections
    c.collect_events()
    c.edit(ProfileEdit(content_sections=[SectionDraft("Two!", "b", two.id), SectionDraft("Three", "c")]), new_id, AT)  # type: ignore[arg-type]
    (event,) = c.collect_events()
    assert [s.id for s in c.content_sections][0] == two.id and c.content_sections[0].position == 1
    assert event.published == (c.content_sections[1].id,)  # type: ignore[attr-defined]
    with pytest.raises(UnknownSection):
        c.edit(ProfileEdit(content_sections=[SectionDraft("x", "y", one.id)]), new_id, AT)  # type: ignore[arg-type]
    with pytest.raises(InvalidProfile):
        c.edit(ProfileEdit(content_sections=[SectionDraft("x", "y", two.id), SectionDraft("z", "w", two.id)]), new_id, AT)  # type: ignore[arg-type]


def test_null_clears_a_scalar_a_list_sent_replaces_the_list_and_an_unchanged_edit_records_nothing() -> None:
    c = creator()
    new_id = ids()
    c.edit(ProfileEdit(headline="x", skills=[Skill("a", 1), Skill("b", 2)]), new_id, AT)  # type: ignore[arg-type]
    c.collect_events()
    assert c.edit(ProfileEdit(headline="x", skills=[Skill("a", 1), Skill("b", 2)]), new_id, AT) == []  # type: ignore[arg-type]
    assert c.collect_events() == []
    c.edit(ProfileEdit(headline=None, skills=[Skill("c", None)]), new_id, AT)  # type: ignore[arg-type]
    assert c.headline is None and c.skills == (Skill("c", None),)
    c.edit(ProfileEdit(skills=None), new_id, AT)  # type: ignore[arg-type]
    assert c.skills == ()
    with pytest.raises(InvalidProfile):
        c.edit(ProfileEdit(display_name=None), new_id, AT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "edit",
    [
        ProfileEdit(display_name="x" * 81),
        ProfileEdit(display_name="   "),
        ProfileEdit(headline="x" * 161),
        ProfileEdit(bio="x" * 5_001),
        ProfileEdit(content_sections=[SectionDraft("t", "x" * 20_001)]),
        ProfileEdit(links=[Link("x", "https://x.com")] * 51),
        ProfileEdit(links=[Link("x", "javascript:alert(1)")]),
        ProfileEdit(links=[Link("x", "ftp://x.com")]),
        ProfileEdit(avatar_url="https:///nohost"),
        ProfileEdit(website="example.com"),
        ProfileEdit(website="https://exa mple.com"),
        ProfileEdit(skills=[Skill("x", 0)]),
        ProfileEdit(skills=[Skill("x", 6)]),
        ProfileEdit(skills=[Skill("", 1)]),
        ProfileEdit(achievements=[Achievement("t", None, "2023-02-29")]),
        ProfileEdit(achievements=[Achievement("t", None, "2023-2-1")]),
        ProfileEdit(work_experiences=[WorkExperience("t", None, "2022-01-01", "2021-01-01", None)]),
        ProfileEdit(education=[Education("i", None, None, "2020-01-02", "2020-01-01")]),
    ],
)
def test_every_limit_is_refused_and_records_nothing(edit: ProfileEdit) -> None:
    c = creator()
    c.collect_events()
    with pytest.raises(InvalidProfile):
        c.edit(edit, ids(), AT)  # type: ignore[arg-type]
    assert c.collect_events() == [] and c.version == 1


def test_limits_are_inclusive() -> None:
    c = creator()
    c.edit(
        ProfileEdit(
            display_name="x" * 80, headline="x" * 160, bio="x" * 5_000,
            content_sections=[SectionDraft("t", "x" * 20_000)] * 1 + [SectionDraft(f"s{n}", "b") for n in range(49)],
            links=[Link("x", f"https://x.com/{n}") for n in range(50)],
        ),
        ids(),  # type: ignore[arg-type]
        AT,
    )
    assert len(c.content_sections) == 50 and len(c.links) == 50


@pytest.mark.parametrize("field", ["display_name", "headline", "bio", "location"])
def test_control_characters_are_invalid_text_in_every_text_field(field: str) -> None:
    c = creator()
    with pytest.raises(InvalidText):
        c.edit(ProfileEdit(**{field: "a\x1bb"}), ids(), AT)  # type: ignore[arg-type]
    with pytest.raises(InvalidText):
        c.edit(ProfileEdit(content_sections=[SectionDraft("t", "a\x00")]), ids(), AT)  # type: ignore[arg-type]
    c.edit(ProfileEdit(bio="line\n\ttabbed"), ids(), AT)  # type: ignore[arg-type]
    assert c.bio == "line\n\ttabbed"


def test_verification_is_recorded_only_when_it_changes() -> None:
    c = creator()
    c.collect_events()
    c.verify(True, AT)
    c.verify(True, AT)
    assert len(c.collect_events()) == 1 and c.verified


# ----- applications -----


def submitted(app: CreatorApplication | None = None, **extra: object) -> CreatorApplication:
    app = app or CreatorApplication(uuid4())
    fields: dict[str, object] = dict(
        user_id=ALICE, wallet_address=WALLET, display_name="Alice", handle="alice", category="music",
        token_symbol="alice", token_name="Alice Coin", headline=None, bio=None,
        profile_urls=["https://x.com/alice"], invitation_code=None, at=AT,
    )
    fields.update(extra)
    app.submit(**fields)  # type: ignore[arg-type]
    return app


def test_an_application_upper_cases_its_symbol_and_refuses_an_invalid_or_reserved_one() -> None:
    assert submitted().submitted.token_symbol == "ALICE"  # type: ignore[union-attr]
    for symbol, reason in [("a", "invalid"), ("1ABC", "invalid"), ("ABCDEFGHIJK", "invalid"), ("usd", "reserved"),
                           ("SUI", "reserved"), ("USDC", "reserved"), ("People", "reserved")]:
        with pytest.raises(SymbolUnavailable) as refused:
            submitted(token_symbol=symbol)
        assert refused.value.reason == reason
        assert symbol_shape(symbol)[1] == SymbolReason(reason)


def test_an_application_is_decided_once() -> None:
    app = submitted()
    creator_id = creator_id_for(ALICE)
    first = app.start_approval(creator_id, 10**12, 1_000_000, BOB, AT)
    assert app.start_approval(creator_id, 1, 1, BOB, AT) is first  # a retry answers the first decision
    with pytest.raises(ApplicationDecided):
        app.reject("no", BOB, AT, listed=True)  # its token is listed: only approval can finish
    with pytest.raises(InvalidProfile):
        submitted().start_approval(creator_id, 0, 1, BOB, AT)
    with pytest.raises(InvalidProfile):
        submitted().start_approval(creator_id, 1, -1, BOB, AT)
    stuck = submitted()
    stuck.start_approval(creator_id, 1, 1, BOB, AT)
    stuck.reject("the symbol went elsewhere", BOB, AT)  # never listed: it may still be rejected
    assert stuck.status is ApplicationStatus.REJECTED
    app.approve(uuid4(), AT)
    assert app.status is ApplicationStatus.APPROVED
    for decide in (lambda: app.approve(uuid4(), AT), lambda: app.reject(None, BOB, AT),
                   lambda: app.start_approval(creator_id, 1, 1, BOB, AT)):
        with pytest.raises(ApplicationDecided):
            decide()
    rejected = submitted()
    rejected.reject("not now", BOB, AT)
    assert rejected.status is ApplicationStatus.REJECTED and rejected.rejection == "not now"
    with pytest.raises(ApplicationDecided):
        rejected.start_approval(creator_id, 1, 1, BOB, AT)
    replay = CreatorApplication.replay(app.id, app.collect_events())
    assert replay.status is ApplicationStatus.APPROVED and replay.creator_id == creator_id


def test_an_applicant_has_one_pending_application_and_none_after_becoming_a_creator() -> None:
    applicant = Applicant(uuid4())
    first, second = uuid4(), uuid4()
    applicant.file(first, AT)
    with pytest.raises(ApplicationPending):
        applicant.file(second, AT)
    applicant.close(first, approved=False, at=AT)
    applicant.file(second, AT)
    applicant.close(second, approved=True, at=AT)
    with pytest.raises(AlreadyCreator):
        applicant.file(uuid4(), AT)
    with pytest.raises(AlreadyCreator):
        applicant.become_creator(AT)


def test_a_symbol_is_held_by_one_users_pending_application() -> None:
    reservation = SymbolReservation(uuid4())
    mine = uuid4()
    reservation.reserve("ALICE", mine, ALICE, AT)
    assert reservation.held_against(BOB) and not reservation.held_against(ALICE)
    with pytest.raises(SymbolUnavailable) as refused:
        reservation.reserve("ALICE", uuid4(), BOB, AT)
    assert refused.value.reason == "pending"
    reservation.release("ALICE", uuid4(), AT)  # another application: nothing
    assert reservation.application_id == mine
    reservation.release("ALICE", mine, AT)
    reservation.reserve("ALICE", uuid4(), BOB, AT)


def test_an_invitation_has_its_uses_and_its_expiry() -> None:
    invitation = Invitation(uuid4())
    with pytest.raises(InvalidInvitation):
        invitation.use(uuid4(), ALICE, AT)  # never created
    invitation.create("CODE-1", "for friends", 2, AT + timedelta(days=1), BOB, AT)
    invitation.use(uuid4(), ALICE, AT)
    invitation.use(uuid4(), BOB, AT)
    with pytest.raises(InvitationUsed):
        invitation.use(uuid4(), ALICE, AT)
    late = Invitation(uuid4())
    late.create("CODE-2", None, 5, AT + timedelta(hours=1), BOB, AT)
    with pytest.raises(InvalidInvitation):
        late.use(uuid4(), ALICE, AT + timedelta(hours=1))
    for bad in (0, -1, 10**7):
        with pytest.raises(InvalidProfile):
            Invitation(uuid4()).create("X", None, bad, None, BOB, AT)
    with pytest.raises(InvalidProfile):
        Invitation(uuid4()).create("X", None, 1, AT - timedelta(seconds=1), BOB, AT)


# ----- documents -----


def test_documents_are_versioned_hashed_and_signed_with_the_exact_message() -> None:
    doc = LegalDocument(document_stream(DocumentKind.CREATOR_AGREEMENT))
    v1 = doc.publish(DocumentKind.CREATOR_AGREEMENT, "Creator agreement", "You agree.", AT)
    v2 = doc.publish(DocumentKind.CREATOR_AGREEMENT, "Creator agreement", "You agree, again.", AT)
    assert (v1.version, v2.version) == (1, 2) and doc.current is v2 and v1.document_id != v2.document_id
    assert v1.content_hash == hashlib.sha256("You agree.".encode()).hexdigest()
    message = signing_message(v1, WALLET)
    assert message == (
        "PeopleCoin document signature\nDocument: Creator agreement\nKind: creator_agreement\nVersion: 1\n"
        f"SHA-256: {v1.content_hash}\nAddress: {WALLET}"
    )
    signatory = Signatory(uuid4())
    with pytest.raises(WrongSigningMessage):
        signatory.sign(v1, ALICE, WALLET, signing_message(v2, WALLET), "sig", uuid4(), AT)
    with pytest.raises(WrongSigningMessage):
        signatory.sign(v1, ALICE, WALLET, message + "\n", "sig", uuid4(), AT)
    first, new = signatory.sign(v1, ALICE, WALLET, message, "sig", uuid4(), AT)
    again, new_again = signatory.sign(v1, ALICE, WALLET, message, "sig2", uuid4(), AT)
    assert new and not new_again and again is first
    assert signatory.has_signed(v1.document_id) and not signatory.has_signed(v2.document_id)
    assert LegalDocument.replay(doc.id, doc.collect_events()).current == v2


# ----- following and topics -----


def test_following_is_counted_once_and_never_oneself() -> None:
    follow = Follow(uuid4())
    creator_id = creator_id_for(ALICE)
    assert follow.follow(BOB, creator_id, ALICE, AT) and not follow.follow(BOB, creator_id, ALICE, AT)
    assert follow.unfollow(BOB, creator_id, AT) and not follow.unfollow(BOB, creator_id, AT)
    assert len(follow.collect_events()) == 2
    with pytest.raises(CannotFollowSelf):
        Follow(uuid4()).follow(ALICE, creator_id, ALICE, AT)


def test_a_topic_is_published_and_removed_once() -> None:
    topic = TrendingTopic(uuid4())
    c = uuid4()
    published = topic.publish("Tour season", None, "https://news.example.com/tour", ["music", "live"], [c, c], AT)
    assert published.creator_ids == (c,)
    topic.remove(AT)
    with pytest.raises(TopicNotFound):
        topic.remove(AT)
    with pytest.raises(InvalidProfile):
        TrendingTopic(uuid4()).publish("t", None, None, ["x"] * 21, [], AT)
    with pytest.raises(InvalidProfile):
        TrendingTopic(uuid4()).publish("t", None, "javascript:x", [], [], AT)


# ----- stored and read back -----


def test_every_creator_event_survives_the_event_stores_encoding() -> None:
    from adapters.eventstore.mapper import EventMapper

    c = creator()
    c.edit(
        ProfileEdit(
            links=[Link("x", "https://x.com/a")], skills=[Skill("s", 3)], achievements=[Achievement("a", None, None)],
            work_experiences=[WorkExperience("w", None, None, None, None)], education=[Education("e", None, None, None, None)],
            content_sections=[SectionDraft("t", "b")], headline=None, website="https://a.example",
        ),
        ids(),  # type: ignore[arg-type]
        AT,
    )
    c.verify(True, AT)
    app = submitted(invitation_code="CODE")
    app.start_approval(creator_id_for(ALICE), 5, 6, BOB, AT)
    app.approve(uuid4(), AT)
    doc = LegalDocument(uuid4())
    v1 = doc.publish(DocumentKind.TERMS, "Terms", "body", AT)
    signatory = Signatory(uuid4())
    signatory.sign(v1, ALICE, WALLET, signing_message(v1, WALLET), "sig", uuid4(), AT)
    invitation = Invitation(uuid4())
    invitation.create("C", None, 1, None, BOB, AT)
    topic = TrendingTopic(uuid4())
    topic.publish("t", "s", None, ["a"], [uuid4()], AT)
    events = [
        *c.collect_events(), *app.collect_events(), *doc.collect_events(), *signatory.collect_events(),
        *invitation.collect_events(), *topic.collect_events(),
    ]
    mapper = EventMapper()
    assert [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events] == events


@pytest.mark.parametrize(
    "text, expected",
    [
        (str(UUID(int=5)), (UUID(int=5), None, None)),
        ("Alice", (None, "alice", "ALICE")),
        ("alice_b", (None, "alice_b", None)),
        ("AB1", (None, "ab1", "AB1")),
        ("x" * 31, (None, None, None)),
        ("ali\x00ce", (None, None, None)),  # a control character names nothing: 404, never an error
        ("../admin", (None, None, None)),
    ],
)
def test_a_creator_ref_is_an_id_or_a_handle_and_or_a_symbol(text: str, expected: tuple[object, ...]) -> None:
    from domain.creator.profile import creator_ref

    ref = creator_ref(text)
    assert (ref.id, ref.handle, ref.symbol) == expected
