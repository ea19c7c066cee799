"""The container: the only place that names adapters, chosen by configuration.

PEOPLECOIN_DATABASE_URL set: event store and views in PostgreSQL; unset: SQLite
files in the data dir. PEOPLECOIN_REDIS_URL set: pub/sub through Redis;
unset: in-process (and so are rate limits and connection slots).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import TypeVar

from dependency_injector import containers, providers

from adapters.auth.jwt import JwtAccessTokens
from adapters.chain.local import LocalLedgerChain
from adapters.eventstore.postgres import PostgresEventStore
from adapters.eventstore.sqlite import SqliteEventStore
from adapters.keys.redis import RedisExpiringKeys
from adapters.keys.sql import SqlExpiringKeys
from adapters.limits.memory import InMemoryConnectionSlots, InMemoryRateLimiter
from adapters.limits.redis import RedisConnectionSlots, RedisRateLimiter
from adapters.mail.files import FileMailer
from adapters.mail.smtp import SmtpMailer
from adapters.pubsub.memory import InProcessPubSub
from adapters.pubsub.redis import RedisPubSub
from adapters.pubsub.snapshots import InProcessSnapshots, RedisSnapshots
from adapters.sui.signatures import SuiSignatureVerifier
from adapters.system import SystemClock, SystemRandomness, random_id
from adapters.views.categories import SqlCategoriesView
from adapters.views.database import ViewDatabase, sqlalchemy_url
from adapters.views.market import SqlMarketView
from adapters.views.trading import SqlTokensView, SqlTradingView
from adapters.views.users import SqlUsersView
from application.handlers.auth import AuthSettings, Authentication
from application.handlers.categories import AddCategoryHandler, RenameCategoryHandler, SeedCategoriesHandler
from application.handlers.users import EmailVerification, ProfileHandler
from application.live_sessions import LiveSessions
from application.projections.categories import CategoriesProjector
from application.projections.runner import ProjectionRunner
from application.projections.market import MarketProjector
from application.projections.trading import TokensProjector, TradingProjector
from application.projections.users import UsersProjector
from application.queries import CategoryQueries, MarketQueries, ReadYourWrites, TradingQueries, UserQueries
from application.trading.exchange import Exchange
from entrypoints.config import Settings
from entrypoints.http.feed import FeedPublisher
from entrypoints.http.ratelimit import LiveLimits

log = logging.getLogger(__name__)
T = TypeVar("T")


def _redis_or_local(
    settings: providers.Provider[Settings], redis: Callable[[str, str], T], local: Callable[[], T]
) -> providers.Singleton[T]:
    """One per process: on Redis (URL, key prefix) when PEOPLECOIN_REDIS_URL is set, else this process's own."""
    return providers.Singleton(lambda s: redis(s.redis_url, s.redis_prefix) if s.redis_url else local(), settings)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Object(random_id)
    randomness = providers.Singleton(SystemRandomness)

    event_store = providers.Singleton(
        lambda s: PostgresEventStore(s.database_url) if s.database_url else SqliteEventStore(s.event_store_path),
        settings,
    )
    view_database = providers.Singleton(lambda s: ViewDatabase(sqlalchemy_url(s.views_url)), settings)
    pubsub = _redis_or_local(settings, RedisPubSub, InProcessPubSub)
    live_snapshots = _redis_or_local(settings, RedisSnapshots, InProcessSnapshots)

    expiring_keys = providers.Singleton(
        lambda s, db: RedisExpiringKeys(s.redis_url, s.redis_prefix) if s.redis_url else SqlExpiringKeys(db),
        settings,
        view_database,
    )
    rate_limiter = _redis_or_local(settings, RedisRateLimiter, InMemoryRateLimiter)
    connection_slots = _redis_or_local(settings, RedisConnectionSlots, InMemoryConnectionSlots)
    mailer = providers.Singleton(
        lambda s: SmtpMailer(s.smtp_url, s.mail_from) if s.smtp_url else FileMailer(s.mail_dir, s.mail_from),
        settings,
    )
    signature_verifier = providers.Singleton(SuiSignatureVerifier)
    access_tokens = providers.Singleton(lambda s, clock: JwtAccessTokens(s.jwt_secret, clock), settings, clock)

    categories_view = providers.Singleton(SqlCategoriesView, view_database)
    users_view = providers.Singleton(SqlUsersView, view_database)
    tokens_view = providers.Singleton(SqlTokensView, view_database)
    trading_view = providers.Singleton(SqlTradingView, view_database)
    market_view = providers.Singleton(SqlMarketView, view_database)
    projections = providers.Singleton(
        ProjectionRunner,
        store=event_store,
        projectors=providers.List(
            providers.Singleton(CategoriesProjector, categories_view),
            providers.Singleton(UsersProjector, users_view),
            providers.Singleton(TokensProjector, tokens_view),
            providers.Singleton(TradingProjector, trading_view),
            providers.Singleton(MarketProjector, market_view),
        ),
    )
    read_your_writes = providers.Singleton(ReadYourWrites, event_store, projections)

    authentication = providers.Singleton(
        Authentication,
        store=event_store,
        keys=expiring_keys,
        verifier=signature_verifier,
        tokens=access_tokens,
        clock=clock,
        ids=ids,
        randomness=randomness,
        settings=providers.Factory(
            lambda s: AuthSettings(
                s.auth_domain,
                s.auth_uri,
                s.sui_network,
                s.admin_addresses,
                timedelta(seconds=s.challenge_seconds),
                timedelta(seconds=s.access_token_seconds),
            ),
            settings,
        ),
        announcements=pubsub,
    )
    live_sessions = providers.Singleton(LiveSessions, authentication, pubsub, clock)
    live_limits = providers.Singleton(
        lambda s, limiter, slots: LiveLimits(s.rate_limits, limiter, slots), settings, rate_limiter, connection_slots
    )
    profile_handler = providers.Singleton(ProfileHandler, event_store, clock)
    email_verification = providers.Singleton(
        lambda store, clock, randomness, mailer, s: EmailVerification(
            store, clock, randomness, mailer, hashlib.sha256(b"email-code:" + s.jwt_secret.encode()).digest()
        ),
        event_store,
        clock,
        randomness,
        mailer,
        settings,
    )
    user_queries = providers.Singleton(UserQueries, users_view, read_your_writes)
    trading_queries = providers.Singleton(TradingQueries, trading_view, read_your_writes)
    market_queries = providers.Singleton(MarketQueries, market_view, read_your_writes, clock)
    chain = providers.Singleton(LocalLedgerChain)
    exchange = providers.Singleton(
        lambda store, clock, ids, s: Exchange(store, clock, ids, writer=s.engine), event_store, clock, ids, settings
    )
    feed = providers.Singleton(FeedPublisher, exchange, pubsub, live_snapshots)
    # where a subscriber starts from: the engine process's own feed, or the shared store elsewhere
    snapshot_source = providers.Singleton(
        lambda s, feed, store: feed() if s.engine else store(), settings, feed.provider, live_snapshots.provider
    )
    category_queries = providers.Singleton(CategoryQueries, categories_view, read_your_writes)
    add_category = providers.Singleton(AddCategoryHandler, event_store, clock, ids)
    rename_category = providers.Singleton(RenameCategoryHandler, event_store, clock)
    seed_categories = providers.Singleton(SeedCategoriesHandler, event_store, clock, ids)


def build(settings: Settings) -> Container:
    return Container(settings=settings)


async def open_stores(c: Container) -> None:
    """Open the event store, bring the views' schema to head and seed a new store; what every tool needs first."""
    c.event_store()
    runner: ProjectionRunner = c.projections()
    await c.view_database().migrate(runner.names)
    seeded = await c.seed_categories()()
    if seeded.value:
        log.info("seeded %d default categories", len(seeded.value))


class Runtime:
    """The serving process's life: stores open, defaults seeded, projections running; closed in reverse."""

    def __init__(self, c: Container) -> None:
        self.c = c
        self._projecting: asyncio.Task[None] | None = None
        self._following: asyncio.Task[None] | None = None
        self._watching_sessions: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await open_stores(self.c)
        runner: ProjectionRunner = self.c.projections()
        self.c.event_store().listen(runner.wake)
        await self.c.exchange().recover()
        if self.c.settings().engine:
            await self.c.feed().start()
        else:
            self._following = asyncio.create_task(self.c.exchange().follow(), name="follow-the-engine")
        tune_garbage_collector()
        self.c.pubsub()
        self._watching_sessions = asyncio.create_task(self.c.live_sessions().run(), name="live-sessions")
        await runner.catch_up()
        self._projecting = asyncio.create_task(runner.run(), name="projections")

    async def stop(self) -> None:
        await self.c.exchange().close()
        if self.c.settings().engine:
            await self.c.feed().close()
        for task in (self._projecting, self._following, self._watching_sessions):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        await self.c.pubsub().close()
        c = self.c
        for client in (c.expiring_keys(), c.live_snapshots(), c.rate_limiter(), c.connection_slots()):
            if isinstance(client, RedisExpiringKeys | RedisSnapshots | RedisRateLimiter | RedisConnectionSlots):
                await client.close()
        await close_stores(self.c)


def tune_garbage_collector() -> None:
    """The recovered books and balances live as long as the process: freeze them out of the collector's
    walks, and collect the young generation less often (each order makes many short-lived objects)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


async def close_stores(c: Container) -> None:
    await c.view_database().close()
    await c.event_store().close()
