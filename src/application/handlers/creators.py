"""Creators' profiles, following and trending topics: commands through the unit of work.

A profile edit is decided on the version it read and appended at the next:
two edits at once, one lands and the other is a ConcurrencyConflict (409
``conflict``), never silently merged. Follows and topics retry on their own
(their decisions do not depend on what the other writer changed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from application.handlers.onboarding import ROLE_CREATOR, category_slug
from application.ports import Clock, EventStore, IdGenerator
from application.unit_of_work import Committed, UnitOfWork, run_command
from domain.creator.creator import Creator, HandleClaim, ProfileEdit, creator_id_for, handle_stream
from domain.creator.errors import CreatorNotFound, NotACreator
from domain.creator.events import TopicPublished
from domain.creator.onboarding import Applicant, applicant_stream
from domain.creator.profile import creator_ref
from domain.creator.social import Follow, TrendingTopic, follow_stream
from domain.identity.user import User, user_id_for
from domain.shared.unset import UNSET
from domain.token.events import TokenListed
from domain.token.token import token_id_for


@dataclass(frozen=True, slots=True)
class NewCreator:
    wallet_address: str
    handle: str
    display_name: str
    category: str | None
    headline: str | None
    bio: str | None
    token_symbol: str | None  # a token listed already, to show on the profile


class CreatorLookup:
    """A creator named by id, handle or token symbol (case-insensitive), as ``/creators/{ref}`` takes it."""

    def __init__(self, store: EventStore, listed: Callable[[UUID], TokenListed | None]) -> None:
        self._store, self._listed = store, listed

    async def find(self, ref: str) -> Creator:
        for creator_id in await self._candidates(ref):
            creator = Creator.replay(creator_id, await self._store.read_stream(creator_id))
            if creator.exists:
                return creator
        raise CreatorNotFound(f"no creator {ref!r}")

    async def _candidates(self, text: str) -> list[UUID]:
        ref = creator_ref(text)
        if ref.id is not None:
            return [ref.id]
        found: list[UUID] = []
        if ref.handle is not None:
            claim = HandleClaim.replay(handle_stream(ref.handle), await self._store.read_stream(handle_stream(ref.handle)))
            if claim.holder is not None:
                found.append(creator_id_for(claim.holder))
        token = self._listed(token_id_for(ref.symbol)) if ref.symbol is not None else None
        if token is not None:
            found.append(token.creator_id)
        return found


class CreatorProfiles:
    def __init__(self, store: EventStore, clock: Clock, ids: IdGenerator, lookup: CreatorLookup, listed: Callable[[UUID], TokenListed | None]) -> None:
        self._store, self._clock, self._ids, self._lookup, self._listed = store, clock, ids, lookup, listed

    async def edit(self, user_id: UUID, change: ProfileEdit) -> Committed[Creator]:
        """Once, on the version read: a concurrent edit makes this one a ConcurrencyConflict."""
        uow = UnitOfWork(self._store)
        creator = await uow.get(Creator, creator_id_for(user_id))
        if not creator.exists:
            raise NotACreator("you have no creator profile; apply to become a creator (POST /creators/apply)")
        if change.category is not UNSET:
            change = _with_category(change, await category_slug(uow, change.category))  # type: ignore[arg-type]
        creator.edit(change, self._ids, self._clock.now())
        return Committed(creator, await uow.commit())

    async def create(self, new: NewCreator) -> Committed[Creator]:
        """``POST /admin/creators``: a creator without an application; the user is registered if they never
        signed in, and holds the role ``creator`` from their next token on."""
        user_id = user_id_for(new.wallet_address)
        token_id = None
        if new.token_symbol:
            token = self._listed(token_id_for(new.token_symbol.strip().upper()))
            if token is None:
                raise CreatorNotFound(f"no listed token {new.token_symbol!r}")
            token_id = token.token_id

        async def decide(uow: UnitOfWork) -> Creator:
            now = self._clock.now()
            category = await category_slug(uow, new.category)
            creator = await uow.get(Creator, creator_id_for(user_id))
            creator.create(
                user_id=user_id, wallet_address=new.wallet_address, handle=new.handle, display_name=new.display_name,
                category=category, headline=new.headline, bio=new.bio, token_id=token_id, application_id=None, at=now,
            )
            applicant = await uow.get(Applicant, applicant_stream(user_id))
            applicant.become_creator(now)
            claim = await uow.get(HandleClaim, handle_stream(creator.handle))
            claim.claim(creator.handle, user_id, now)
            user = await uow.get(User, user_id)
            user.register(new.wallet_address, now)
            user.grant_role(ROLE_CREATOR, now)
            return creator

        return await run_command(self._store, decide)

    async def verify(self, ref: str, verified: bool) -> Committed[Creator]:
        creator_id = (await self._lookup.find(ref)).id

        async def decide(uow: UnitOfWork) -> Creator:
            creator = await uow.get(Creator, creator_id)
            creator.verify(verified, self._clock.now())
            return creator

        return await run_command(self._store, decide)


def _with_category(change: ProfileEdit, slug: str | None) -> ProfileEdit:
    return replace(change, category=slug)


class Social:
    def __init__(self, store: EventStore, clock: Clock, ids: IdGenerator, lookup: CreatorLookup) -> None:
        self._store, self._clock, self._ids, self._lookup = store, clock, ids, lookup

    async def follow(self, user_id: UUID, ref: str, following: bool) -> Committed[Creator]:
        """Follow (or unfollow) a creator; a repeat records nothing and answers the same."""
        creator = await self._lookup.find(ref)
        assert creator.user_id is not None

        async def decide(uow: UnitOfWork) -> Creator:
            follow = await uow.get(Follow, follow_stream(user_id, creator.id))
            if following:
                follow.follow(user_id, creator.id, creator.user_id, self._clock.now())  # type: ignore[arg-type]
            else:
                follow.unfollow(user_id, creator.id, self._clock.now())
            return creator

        return await run_command(self._store, decide)

    async def publish_topic(
        self, title: str, summary: str | None, url: str | None, tags: Sequence[str], creator_refs: Sequence[str]
    ) -> Committed[TopicPublished]:
        creator_ids = [(await self._lookup.find(ref)).id for ref in creator_refs]
        topic_id = self._ids()

        async def decide(uow: UnitOfWork) -> TopicPublished:
            topic = await uow.get(TrendingTopic, topic_id)
            return topic.publish(title, summary, url, tags, creator_ids, self._clock.now())

        return await run_command(self._store, decide)

    async def remove_topic(self, topic_id: UUID) -> Committed[None]:
        async def decide(uow: UnitOfWork) -> None:
            topic = await uow.get(TrendingTopic, topic_id)
            topic.remove(self._clock.now())

        return await run_command(self._store, decide)
