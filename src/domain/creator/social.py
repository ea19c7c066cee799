"""Following creators, and the curated trending topics.

A follow is a stream per (follower, creator): following twice records it
once, unfollowing what one does not follow records nothing, so counts made
from the events are exact whatever a client repeats.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid5

from domain.creator import profile as rules
from domain.creator.errors import CannotFollowSelf, InvalidProfile, TopicNotFound
from domain.creator.events import Followed, TopicPublished, TopicRemoved, Unfollowed
from domain.shared.aggregate import Aggregate, DomainEvent

FOLLOW_NAMESPACE = UUID("1f3a5c7e-9b1d-4f3a-8c5e-7a9b1d3f5a7c")
TOPIC_TITLE_MAX = 200
TOPIC_SUMMARY_MAX = 2_000
TAGS_MAX = 20
TAG_MAX = 40


def follow_stream(follower_id: UUID, creator_id: UUID) -> UUID:
    return uuid5(FOLLOW_NAMESPACE, f"{follower_id.hex}:{creator_id.hex}")


class Follow(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.following = False

    def follow(self, follower_id: UUID, creator_id: UUID, creator_owner: UUID, at: datetime) -> bool:
        """True when this records a new follow."""
        if follower_id == creator_owner:
            raise CannotFollowSelf("a creator cannot follow themself")
        if self.following:
            return False
        self._record(Followed(originator_id=self.id, originator_version=self.next_version, at=at, follower_id=follower_id, creator_id=creator_id))
        return True

    def unfollow(self, follower_id: UUID, creator_id: UUID, at: datetime) -> bool:
        if not self.following:
            return False
        self._record(Unfollowed(originator_id=self.id, originator_version=self.next_version, at=at, follower_id=follower_id, creator_id=creator_id))
        return True

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case Followed():
                self.following = True
            case Unfollowed():
                self.following = False


class TrendingTopic(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.published: TopicPublished | None = None
        self.removed = False

    def publish(
        self, title: str, summary: str | None, url: str | None, tags: Sequence[str], creator_ids: Sequence[UUID], at: datetime
    ) -> TopicPublished:
        if self.published is not None:
            raise InvalidProfile("this topic exists already")
        if len(tags) > TAGS_MAX:
            raise InvalidProfile(f"tags holds at most {TAGS_MAX} tags")
        if len(creator_ids) > rules.LIST_MAX:
            raise InvalidProfile(f"creator_ids holds at most {rules.LIST_MAX} ids")
        self._record(
            TopicPublished(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                title=rules.required_text(title, "title", TOPIC_TITLE_MAX),
                summary=rules.text(summary, "summary", TOPIC_SUMMARY_MAX),
                url=rules.url(url, "url"),
                tags=tuple(rules.required_text(t, f"tags[{n}]", TAG_MAX) for n, t in enumerate(tags)),
                creator_ids=tuple(dict.fromkeys(creator_ids)),
            )
        )
        assert self.published is not None
        return self.published

    def remove(self, at: datetime) -> None:
        if self.published is None or self.removed:
            raise TopicNotFound("no such topic")
        self._record(TopicRemoved(originator_id=self.id, originator_version=self.next_version, at=at))

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case TopicPublished():
                self.published = event
            case TopicRemoved():
                self.removed = True
