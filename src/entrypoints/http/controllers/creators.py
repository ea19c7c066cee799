"""Creators (CREATORS.md): profiles, the owner's edits, following, the feed; admin verification and creation."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Response, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.creator_queries import CreatorDirectory, CreatorQueries, TokenFigures
from application.handlers.creators import CreatorProfiles, NewCreator, Social
from application.handlers.onboarding import ROLE_CREATOR
from application.live.market import CommittedMarket
from application.ports import AccessClaims
from application.projections.creators import CreatorRow
from application.queries import MarketQueries
from domain.creator.creator import ProfileEdit, creator_id_for
from domain.creator.errors import CreatorNotFound, NotACreator
from domain.creator.profile import Achievement, Education, Link, SectionDraft, Skill, WorkExperience
from domain.identity.user import wallet_address
from domain.shared.unset import UNSET
from entrypoints.http.auth import requires
from entrypoints.http.enums import CreatorSort
from entrypoints.http.controllers.auth import POSITION_HEADER
from entrypoints.http.creator_schemas import (
    AchievementBody,
    CreatorEditRequest,
    CreatorResponse,
    CreatorSummaryResponse,
    EducationBody,
    FeedItemResponse,
    FollowedCreatorResponse,
    FollowResponse,
    LinkBody,
    TopicResponse,
    TrendingCreatorResponse,
    TrendingResponse,
    NewCreatorRequest,
    SectionResponse,
    SkillBody,
    TokenSummaryResponse,
    VerifyCreatorRequest,
    WorkExperienceBody,
)
from entrypoints.http.openapi import problems
from entrypoints.http.presenters import change_24h, market_cap, usd
from entrypoints.http.schemas import Cursor, Limit, MinPosition, Page, decode_cursor, decode_time_cursor, page_of, time_key
from entrypoints.http.units import from_units

TRENDING_SIZE = 20


async def figures_of(token_id: UUID | None, live: CommittedMarket, market: MarketQueries) -> TokenFigures | None:
    """One token's figures (a profile); lists take them from the directory, all at once."""
    token = live.state.tokens.get(token_id) if token_id else None
    if token is None:
        return None
    ticker = await market.ticker(token.token_id, token.initial_price)
    return TokenFigures(token, ticker, live.state.circulating(token))


def token_summary(f: TokenFigures | None) -> TokenSummaryResponse | None:
    if f is None:
        return None
    t, ticker = f.token, f.ticker
    return TokenSummaryResponse(
        id=t.token_id,
        symbol=t.symbol,
        name=t.name,
        price=usd(ticker.price) if ticker.price else None,
        change_24h=change_24h(ticker),
        volume_24h=from_units(ticker.volume_24h, t.decimals),
        market_cap=market_cap(ticker, f.circulating, t.decimals),
    )


async def creator_response(row: CreatorRow, live: CommittedMarket, market: MarketQueries) -> CreatorResponse:
    figures = await figures_of(row.token_id, live, market)
    return CreatorResponse(
        id=row.id,
        user_id=row.user_id,
        wallet_address=row.wallet_address,
        handle=row.handle,
        display_name=row.display_name,
        headline=row.headline,
        bio=row.bio,
        avatar_url=row.avatar_url,
        banner_url=row.banner_url,
        category=row.category,
        location=row.location,
        website=row.website,
        links=[msgspec.convert(i, LinkBody) for i in row.links],
        skills=[msgspec.convert(i, SkillBody) for i in row.skills],
        achievements=[msgspec.convert(i, AchievementBody) for i in row.achievements],
        work_experiences=[msgspec.convert(i, WorkExperienceBody) for i in row.work_experiences],
        education=[msgspec.convert(i, EducationBody) for i in row.education],
        content_sections=[msgspec.convert(i, SectionResponse) for i in row.content_sections],
        followers_count=row.followers_count,
        verified=row.verified,
        created_at=row.created_at,
        updated_at=row.updated_at,
        token=token_summary(figures),
    )


async def profile_answer(
    creator_id: UUID,
    position: int,
    queries: CreatorQueries,
    live: CommittedMarket,
    market: MarketQueries,
    status: int = HTTP_200_OK,
) -> Response[CreatorResponse]:
    """A command's answer: the whole profile as the view has it once it holds the command's events."""
    row = await queries.by_id(creator_id, position)
    if row is None:  # the command stored it and the view reached its position: not reachable short of a bug
        raise CreatorNotFound("no such creator")
    return Response(await creator_response(row, live, market), status_code=status, headers={POSITION_HEADER: str(position)})


def creator_summary(row: CreatorRow, figures: TokenFigures | None) -> CreatorSummaryResponse:
    return CreatorSummaryResponse(
        id=row.id,
        handle=row.handle,
        display_name=row.display_name,
        headline=row.headline,
        avatar_url=row.avatar_url,
        category=row.category,
        followers_count=row.followers_count,
        verified=row.verified,
        token=token_summary(figures),
    )


def _of(row: CreatorRow, figures: dict[UUID, TokenFigures]) -> TokenFigures | None:
    return figures.get(row.token_id) if row.token_id else None


def _field(value: object) -> object:
    return UNSET if value is msgspec.UNSET else value


def _list(value: Any, convert: Any) -> Any:
    if value is msgspec.UNSET:
        return UNSET
    return None if value is None else [convert(i) for i in value]


def profile_edit(data: CreatorEditRequest) -> ProfileEdit:
    return ProfileEdit(
        display_name=_field(data.display_name),  # type: ignore[arg-type]
        headline=_field(data.headline),  # type: ignore[arg-type]
        bio=_field(data.bio),  # type: ignore[arg-type]
        avatar_url=_field(data.avatar_url),  # type: ignore[arg-type]
        banner_url=_field(data.banner_url),  # type: ignore[arg-type]
        category=_field(data.category),  # type: ignore[arg-type]
        location=_field(data.location),  # type: ignore[arg-type]
        website=_field(data.website),  # type: ignore[arg-type]
        links=_list(data.links, lambda i: Link(i.platform, i.url)),
        skills=_list(data.skills, lambda i: Skill(i.name, i.level)),
        achievements=_list(data.achievements, lambda i: Achievement(i.title, i.description, i.date)),
        work_experiences=_list(
            data.work_experiences, lambda i: WorkExperience(i.title, i.organization, i.start_date, i.end_date, i.description)
        ),
        education=_list(data.education, lambda i: Education(i.institution, i.degree, i.field, i.start_date, i.end_date)),
        content_sections=_list(data.content_sections, lambda i: SectionDraft(i.title, i.body, i.id)),
    )


class CreatorsController(Controller):
    path = "/api/v1/creators"
    tags = ["creators"]

    @get("/", summary="Creators, sorted by a live figure; descending, ties by id")
    async def list_creators(
        self,
        creator_directory: CreatorDirectory,
        category: Annotated[str | None, Parameter(max_length=50)] = None,
        sort: CreatorSort = CreatorSort.MARKET_CAP,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[CreatorSummaryResponse]:
        await creator_directory.reach(min_position)
        offset = decode_cursor(cursor, int) or 0
        found = await creator_directory.page(category.strip().lower() if category else None, sort.value, limit + 1, offset)
        page = page_of(found, limit, lambda _: offset + limit)
        return Page([creator_summary(row, figures) for row, figures in page.items], page.next_cursor)

    @get("/search", summary="Creators ranked by relevance: every word a prefix; an exact handle or symbol first")
    async def search(
        self,
        creator_directory: CreatorDirectory,
        q: Annotated[str, Parameter(max_length=500)] = "",
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[CreatorSummaryResponse]:
        await creator_directory.reach(min_position)
        offset = decode_cursor(cursor, int) or 0
        found = await creator_directory.search(q, limit + 1, offset)
        page = page_of(found, limit, lambda _: offset + limit)
        return Page([creator_summary(row, figures) for row, figures in page.items], page.next_cursor)

    @get("/{ref:str}", responses=problems(404), summary="A creator's profile, by id, handle or token symbol")
    async def profile(
        self, ref: str, creator_queries: CreatorQueries, market: CommittedMarket, market_queries: MarketQueries,
        min_position: MinPosition = None,
    ) -> CreatorResponse:
        return await creator_response(await creator_queries.find(ref, min_position), market, market_queries)

    @patch(
        "/me",
        guards=[requires()],
        responses=problems(403, 409),
        summary="Edit one's own creator profile: the fields sent; a list replaces the list; null clears a scalar",
    )
    async def edit(
        self,
        data: CreatorEditRequest,
        claims: AccessClaims,
        creator_profiles: CreatorProfiles,
        creator_queries: CreatorQueries,
        market: CommittedMarket,
        market_queries: MarketQueries,
    ) -> Response[CreatorResponse]:
        if ROLE_CREATOR not in claims.roles:  # the role rides in tokens issued after the approval
            raise NotACreator("this needs the role creator: apply, and once approved sign in again or refresh")
        done = await creator_profiles.edit(claims.user_id, profile_edit(data))
        return await profile_answer(creator_id_for(claims.user_id), done.position, creator_queries, market, market_queries)

    @post("/{ref:str}/follow", status_code=HTTP_200_OK, guards=[requires()], responses=problems(404), summary="Follow a creator")
    async def follow(
        self, ref: str, claims: AccessClaims, social: Social, creator_queries: CreatorQueries
    ) -> Response[FollowResponse]:
        return await _follow(ref, claims, social, creator_queries, True)

    @delete("/{ref:str}/follow", status_code=HTTP_200_OK, guards=[requires()], responses=problems(404), summary="Stop following a creator")
    async def unfollow(
        self, ref: str, claims: AccessClaims, social: Social, creator_queries: CreatorQueries
    ) -> Response[FollowResponse]:
        return await _follow(ref, claims, social, creator_queries, False)

    @get("/feed", guards=[requires()], summary="What the creators one follows did, newest first")
    async def feed(
        self,
        claims: AccessClaims,
        creator_queries: CreatorQueries,
        creator_directory: CreatorDirectory,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[FeedItemResponse]:
        before = decode_cursor(cursor, tuple[int, int])
        items = await creator_queries.feed(claims.user_id, limit + 1, before, min_position)
        page = page_of(items, limit, lambda pair: [pair[0].seq, pair[0].n])
        figures = await creator_directory.figures()
        return Page(
            [
                FeedItemResponse(f"{item.seq}.{item.n}", item.type, creator_summary(row, _of(row, figures)), item.at, item.data)
                for item, row in page.items
            ],
            page.next_cursor,
        )


async def _follow(ref: str, claims: AccessClaims, social: Social, creator_queries: CreatorQueries, following: bool) -> Response[FollowResponse]:
    done = await social.follow(claims.user_id, ref, following)
    row = await creator_queries.by_id(done.value.id, done.position)
    count = row.followers_count if row is not None else 0
    return Response(FollowResponse(following, count), headers={POSITION_HEADER: str(done.position)})


class FollowingController(Controller):
    path = "/api/v1/users/me/following"
    tags = ["creators"]
    guards = [requires()]

    @get("/", summary="The creators one follows, newest follow first")
    async def following(
        self,
        claims: AccessClaims,
        creator_queries: CreatorQueries,
        creator_directory: CreatorDirectory,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[FollowedCreatorResponse]:
        pairs = await creator_queries.following(claims.user_id, limit + 1, decode_time_cursor(cursor), min_position)
        page = page_of(pairs, limit, lambda pair: time_key(pair[1], pair[0].id))
        figures = await creator_directory.figures()
        items = [
            FollowedCreatorResponse(**msgspec.structs.asdict(creator_summary(row, _of(row, figures))), followed_at=at)
            for row, at in page.items
        ]
        return Page(items, page.next_cursor)


class AdminCreatorsController(Controller):
    path = "/api/v1/admin/creators"
    tags = ["admin"]
    guards = [requires("admin")]

    @post("/", responses=problems(409), summary="Make a creator without an application")
    async def create(
        self, data: NewCreatorRequest, creator_profiles: CreatorProfiles, creator_queries: CreatorQueries,
        market: CommittedMarket, market_queries: MarketQueries,
    ) -> Response[CreatorResponse]:
        new = NewCreator(
            wallet_address(data.wallet_address, "wallet_address"), data.handle, data.display_name, data.category,
            data.headline, data.bio, data.token_symbol,
        )
        done = await creator_profiles.create(new)
        return await profile_answer(done.value.id, done.position, creator_queries, market, market_queries, HTTP_201_CREATED)

    @post("/{ref:str}/verify", status_code=HTTP_200_OK, responses=problems(404), summary="Set or clear the verified badge")
    async def verify(
        self, ref: str, data: VerifyCreatorRequest, creator_profiles: CreatorProfiles, creator_queries: CreatorQueries,
        market: CommittedMarket, market_queries: MarketQueries,
    ) -> Response[CreatorResponse]:
        done = await creator_profiles.verify(ref, data.verified)
        return await profile_answer(done.value.id, done.position, creator_queries, market, market_queries)


class TrendingController(Controller):
    path = "/api/v1/trending"
    tags = ["creators"]

    @get("/", summary="Trending creators (score and reasons, docs/creators.md) and the curated topics")
    async def trending(
        self, creator_directory: CreatorDirectory, creator_queries: CreatorQueries, min_position: MinPosition = None
    ) -> TrendingResponse:
        await creator_directory.reach(min_position)
        creators = [
            TrendingCreatorResponse(**msgspec.structs.asdict(creator_summary(row, figures)), score=trend.score, reasons=trend.reasons)
            for row, figures, trend in await creator_directory.trending(TRENDING_SIZE)
        ]
        topics = [
            TopicResponse(t.id, t.title, t.summary, t.url, t.tags, t.creator_ids, t.published_at)
            for t in await creator_queries.topics(TRENDING_SIZE)
        ]
        return TrendingResponse(creators, topics)
