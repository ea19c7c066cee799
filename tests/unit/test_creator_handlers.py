"""Onboarding, profiles and follows through their handlers and the unit of work, on the in-memory store,
with a real engine for the listing and real wallet signatures (the sign-in verifier)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID

import pytest

from application.handlers.creators import NewCreator
from application.ports import ConcurrencyConflict
from domain.creator.creator import Creator, ProfileEdit, creator_id_for
from domain.creator.documents import DocumentKind
from domain.creator.errors import (
    AgreementNotSigned,
    AlreadyCreator,
    ApplicationDecided,
    ApplicationPending,
    CannotFollowSelf,
    HandleTaken,
    InvalidInvitation,
    InvalidProfile,
    InvitationUsed,
    NotACreator,
    SymbolUnavailable,
    WrongSigningMessage,
)
from domain.creator.social import Follow, follow_stream
from domain.identity.user import User, user_id_for
from domain.token.token import token_id_for
from tests.support.creators import ADMIN, T0, World, form
from tests.support.wallets import Wallet

@pytest.fixture
async def world() -> World:
    return await World().start()


async def test_the_whole_journey_from_signature_to_a_listed_creator_with_the_role(world: World) -> None:
    alice = Wallet.new()
    user = user_id_for(alice.address)
    with pytest.raises(AgreementNotSigned):
        await world.apply(alice)
    await world.sign_agreement(alice)
    application_id = await world.apply(alice)
    check = await world.onboarding.check_symbol("alice", UUID(int=5))
    assert (check.symbol, check.reason) == ("ALICE", "pending")
    assert (await world.onboarding.check_symbol("alice", user)).available  # one's own pending application holds it for one

    approved = await world.onboarding.approve(application_id, 1_000_000 * 10**6, 1_000_000, ADMIN)
    assert approved.value.creator_id == creator_id_for(user) and approved.value.token_id == token_id_for("ALICE")
    listing = world.exchange.state.tokens[token_id_for("ALICE")]
    assert listing.creator_id == creator_id_for(user)
    assert world.exchange.state.ledger.balances_of(user)[str(listing.token_id)] == (1_000_000 * 10**6, 0)
    creator = await world.lookup.find("ALICE")
    assert (creator.handle, creator.category, creator.token_id) == ("alice", "music", listing.token_id)
    assert (await world.lookup.find("Alice")).id == (await world.lookup.find(str(creator.id))).id == creator.id
    user_record = User.replay(user, await world.store.read_stream(user))
    assert "creator" in user_record.roles and user_record.wallet_address == alice.address
    assert (await world.onboarding.check_symbol("ALICE", user)).reason == "taken"
    with pytest.raises(ApplicationDecided):
        await world.onboarding.approve(application_id, 10**6, 100, ADMIN)
    with pytest.raises(AlreadyCreator):
        await world.apply(alice, "ALICE2", "alice2")
    [record] = await world.onboarding.applications_of(user)
    assert (record.status, record.token_id) == ("approved", listing.token_id)


async def test_an_approval_interrupted_after_the_listing_is_finished_by_a_retry(world: World) -> None:
    alice = Wallet.new()
    await world.sign_agreement(alice)
    application_id = await world.apply(alice)
    store_append = world.store.append
    calls = 0

    async def fail_after_listing(events, fence=None):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:  # 1: the decision, 2: the listing (the engine's), 3: the creator
            raise OSError("power cut")
        return await store_append(events, fence=fence)

    world.store.append = fail_after_listing  # type: ignore[method-assign]
    with pytest.raises(OSError):
        await world.onboarding.approve(application_id, 10**6, 100, ADMIN)
    world.store.append = store_append  # type: ignore[method-assign]
    with pytest.raises(ApplicationDecided):
        await world.onboarding.reject(application_id, "too late", ADMIN)  # its token is listed
    done = await world.onboarding.approve(application_id, 10**6, 100, ADMIN)
    assert done.value.application.status == "approved"
    supply = world.exchange.state.ledger.balances_of(user_id_for(alice.address))[str(token_id_for("ALICE"))][0]
    assert supply == 10**6  # listed once, credited once


async def test_refusals_change_nothing_and_come_in_the_order_of_the_contract(world: World) -> None:
    alice, bob = Wallet.new(), Wallet.new()
    for w in (alice, bob):
        await world.sign_agreement(w)
    await world.apply(alice)
    head = await world.store.head()
    with pytest.raises(ApplicationPending):
        await world.apply(alice, "OTHER", "other")
    with pytest.raises(SymbolUnavailable) as pending:
        await world.apply(bob, "alice", "bob")
    assert pending.value.reason == "pending"
    with pytest.raises(HandleTaken):
        await world.apply(bob, "BOB", "ALICE")
    with pytest.raises(SymbolUnavailable) as reserved:
        await world.apply(bob, "usd", "bob")
    assert reserved.value.reason == "reserved"
    with pytest.raises(InvalidInvitation):
        await world.apply(bob, "BOB", "bob", code="NOPE-NOPE")
    with pytest.raises(InvalidProfile):
        await world.onboarding.apply(user_id_for(bob.address), bob.address, form("BOB", "bob", category="no-such-category"))
    assert await world.store.head() == head


async def test_an_invitation_is_used_once_per_use_and_a_rejection_frees_symbol_and_handle(world: World) -> None:
    alice, bob = Wallet.new(), Wallet.new()
    for w in (alice, bob):
        await world.sign_agreement(w)
    invitation = (await world.onboarding.create_invitation("friends", 1, T0 + timedelta(days=1), ADMIN)).value
    first = await world.apply(alice, code=invitation.code.lower())
    assert (await world.onboarding.application(first)).submitted.invited
    with pytest.raises(InvitationUsed):
        await world.apply(bob, "BOB", "bob", code=invitation.code)
    await world.onboarding.reject(first, "not yet", ADMIN)
    with pytest.raises(ApplicationDecided):
        await world.onboarding.reject(first, "again", ADMIN)
    second = await world.apply(bob, "ALICE", "alice")  # both freed by the rejection
    assert (await world.onboarding.application(second)).submitted.user_id == user_id_for(bob.address)
    await world.apply(alice, "ALICE3", "alice3")  # and alice may apply again


async def test_two_applications_racing_for_one_symbol_one_wins(world: World) -> None:
    alice, bob = Wallet.new(), Wallet.new()
    for w in (alice, bob):
        await world.sign_agreement(w)
    results = await asyncio.gather(world.apply(alice, "SAME", "alice"), world.apply(bob, "SAME", "bob"), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["SymbolUnavailable", "UUID"]


async def test_a_document_signature_must_be_the_exact_message_by_the_users_own_key(world: World) -> None:
    alice, mallory = Wallet.new(), Wallet.new()
    (agreement,) = await world.documents.current()
    message = await world.documents.signing_message(agreement.document_id, alice.address)
    user = user_id_for(alice.address)
    with pytest.raises(WrongSigningMessage):
        await world.documents.sign(user, alice.address, agreement.document_id, message, mallory.sign(message))
    with pytest.raises(WrongSigningMessage):
        await world.documents.sign(user, alice.address, agreement.document_id, message + " ", alice.sign(message + " "))
    first = await world.documents.sign(user, alice.address, agreement.document_id, message, alice.sign(message))
    again = await world.documents.sign(user, alice.address, agreement.document_id, message, alice.sign(message))
    assert first.value[1] and not again.value[1] and again.value[0] == first.value[0]
    newer = (await world.documents.publish(DocumentKind.CREATOR_AGREEMENT, "Creator agreement", "v2")).value
    with pytest.raises(AgreementNotSigned):  # the current version is the one that counts
        await world.apply(alice)
    assert [s.version for s in await world.documents.signatures(user)] == [1]
    assert (await world.documents.version(agreement.document_id)).version == 1 and newer.version == 2


async def test_two_profile_edits_at_once_one_lands_and_the_other_is_a_conflict(world: World) -> None:
    alice = Wallet.new()
    await world.profiles.create(NewCreator(alice.address, "alice", "Alice", "music", None, None, None))
    user = user_id_for(alice.address)
    with pytest.raises(NotACreator):
        await world.profiles.edit(UUID(int=999), ProfileEdit(headline="x"))
    results = await asyncio.gather(
        world.profiles.edit(user, ProfileEdit(headline="first")),
        world.profiles.edit(user, ProfileEdit(bio="second")),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Committed", "ConcurrencyConflict"]
    assert any(isinstance(r, ConcurrencyConflict) for r in results)
    creator = Creator.replay(creator_id_for(user), await world.store.read_stream(creator_id_for(user)))
    assert creator.version == 2 and (creator.headline == "first") != (creator.bio == "second")
    edited = await world.profiles.edit(user, ProfileEdit(category="Art"))
    assert edited.value.category == "art"


async def test_following_is_idempotent_and_never_oneself(world: World) -> None:
    alice, bob = Wallet.new(), Wallet.new()
    await world.profiles.create(NewCreator(alice.address, "alice", "Alice", None, None, None, None))
    bob_id, alice_id = user_id_for(bob.address), user_id_for(alice.address)
    for _ in range(2):
        await world.social.follow(bob_id, "alice", True)
    stream = follow_stream(bob_id, creator_id_for(alice_id))
    assert Follow.replay(stream, await world.store.read_stream(stream)).following
    assert len(await world.store.read_stream(stream)) == 1
    with pytest.raises(CannotFollowSelf):
        await world.social.follow(alice_id, "alice", True)
    await world.social.follow(bob_id, "alice", False)
    await world.social.follow(bob_id, "alice", False)
    assert len(await world.store.read_stream(stream)) == 2


@pytest.mark.parametrize("scheme", ["ed25519", "secp256k1", "secp256r1"])
async def test_a_document_is_signed_with_any_of_the_three_sui_schemes(world: World, scheme: str) -> None:
    from tests.support.wallets import SCHEMES, high_s

    wallet = Wallet.new(SCHEMES[scheme])
    (agreement,) = await world.documents.current()
    message = await world.documents.signing_message(agreement.document_id, wallet.address)
    user = user_id_for(wallet.address)
    if scheme != "ed25519":  # a non-canonical ECDSA signature is refused here as at sign-in
        from application.ports import SignatureRejected

        with pytest.raises(SignatureRejected):
            await world.documents.sign(user, wallet.address, agreement.document_id, message, high_s(wallet.sign(message)))
    signed = await world.documents.sign(user, wallet.address, agreement.document_id, message, wallet.sign(message))
    assert signed.value[0].wallet_address == wallet.address and signed.value[0].message == message
