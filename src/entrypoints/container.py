"""The container: the only place that names adapters, chosen by configuration.

PEOPLECOIN_DATABASE_URL set: event store, snapshots, views, the writer lease
and uploaded files in PostgreSQL; unset: SQLite files, a lock file and a
folder of uploads in the data dir.
PEOPLECOIN_REDIS_URL set: pub/sub between processes, rate limits and
connection slots through Redis; unset: in-process. The live feed always fans
out inside the process: every process builds it from the log (see
application.live).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from enum import StrEnum
from datetime import timedelta
from typing import TypeVar, cast

from dependency_injector import containers, providers

from adapters.auth.jwt import JwtAccessTokens
from adapters.commands.memory import InProcessCommands
from adapters.commands.redis_streams import RedisCommandBus, RedisCommandQueue
from adapters.chain.local import LocalLedgerChain
from adapters.sui.keys import OperatorKey
from adapters.sui.node import SuiChain
from adapters.eventstore.postgres import PostgresEventStore
from adapters.eventstore.snapshots import RecorderSnapshots, encode_snapshot
from adapters.eventstore.sqlite import SqliteEventStore
from adapters.files.folder import FolderFileStorage
from adapters.files.inspector import PillowFileInspector
from adapters.files.postgres import PostgresFileStorage
from adapters.keys.redis import RedisExpiringKeys
from adapters.keys.sql import SqlExpiringKeys
from adapters.limits.memory import InMemoryConnectionSlots, InMemoryRateLimiter
from adapters.limits.redis import RedisConnectionSlots, RedisRateLimiter
from adapters.mail.address import EmailValidatorAddresses
from adapters.mail.files import FileMailer
from adapters.mail.smtp import SmtpMailer
from adapters.pubsub.memory import InProcessPubSub
from adapters.pubsub.redis import RedisPubSub
from adapters.lease.file import FileLease
from adapters.lease.postgres import SETTLER_LOCK_KEY, PostgresAdvisoryLease
from adapters.sui.signatures import SuiSignatureVerifier
from adapters.system import SystemClock, SystemRandomness, random_id
from adapters.views.analytics import SqlAnalyticsView
from adapters.views.audit import SqlViewReader, scratch_database
from adapters.views.base import SqlView
from adapters.views.categories import SqlCategoriesView
from adapters.views.creators import SqlCreatorsView
from adapters.views.depth import SqlDepthView
from adapters.views.settlement import SqlSettlementView
from adapters.views.database import ViewDatabase, sqlalchemy_url
from adapters.views.market import SqlMarketView
from adapters.views.portfolio import SqlPortfolioView
from adapters.views.trading import SqlTokensView, SqlTradingView
from adapters.views.users import SqlUsersView
from adapters.web.fetcher import HttpPageFetcher
from adapters.web.reader import SelectolaxPageReader
from application.analytics_queries import AnalyticsQueries
from application.audit import AuditCheck, Replay, ViewsMatchReplay
from application.handlers.auth import AuthSettings, Authentication
from application.handlers.categories import AddCategoryHandler, RenameCategoryHandler, SeedCategoriesHandler
from application.handlers.files import ReadFile, UploadFile
from application.handlers.money import MoneyMovement, NetworkFees
from application.handlers.scrape import ScrapeProfile
from application.handlers.users import EmailVerification, ProfileHandler
from application.live_sessions import LiveSessions
from application.creator_queries import CreatorDirectory, CreatorQueries
from application.portfolio_queries import PortfolioQueries
from application.handlers.creators import CreatorLookup, CreatorProfiles, Social
from application.handlers.onboarding import Documents, Onboarding
from application.projections.analytics import AnalyticsProjector
from application.projections.categories import CategoriesProjector
from application.projections.creators import CreatorsProjector
from application.projections.depth import DepthProjector
from application.projections.settlement import SettlementProjector
from application.settlement.queries import SettlementQueries
from application.settlement.deposits import DepositWatcher
from application.settlement.settler import Settler
from application.projections.runner import ProjectionRunner, ProjectionsBehind
from application.projections.market import MarketProjector
from application.projections.portfolio import PortfolioProjector
from application.projections.trading import TokensProjector, TradingProjector
from application.projections.users import UsersProjector
from application.live.follower import READ_BATCH, MarketFollower
from application.queries import CategoryQueries, DepthQueries, MarketQueries, ReadYourWrites, TradingQueries, UserQueries
from application.trading.audit import MoneyCheck
from application.trading.exchange import Exchange, Mode
from application.trading.service import EngineClient, EngineService
from application.tasks import stop_task
from entrypoints.config import Settings
from entrypoints.engine import AppendNudges, EngineRole, LeasedDuty
from entrypoints.http.ratelimit import LiveLimits
from entrypoints.live.feed import LiveFeed

log = logging.getLogger(__name__)
T = TypeVar("T")


def _redis_or_local(
    settings: providers.Provider[Settings], redis: Callable[[str, str], T], local: Callable[[], T]
) -> providers.Singleton[T]:
    """One per process: on Redis (URL, key prefix) when PEOPLECOIN_REDIS_URL is set, else this process's own."""
    return providers.Singleton(lambda s: redis(s.redis_url, s.redis_prefix) if s.redis_url else local(), settings)


def auth_settings(s: Settings) -> AuthSettings:
    return AuthSettings(
        s.auth_domain,
        s.auth_uri,
        s.sui_network,
        s.admin_addresses,
        timedelta(seconds=s.challenge_seconds),
        timedelta(seconds=s.access_token_seconds),
    )


class SettlementLeader:
    """Whether this process's settler and deposit watcher may act: ``serve``, while its engine runs; ``peoplecoin
    settler``, while it holds the settler lease."""

    def __init__(self) -> None:
        self.leads: Callable[[], bool] = lambda: False


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
    snapshot_store = providers.Singleton(RecorderSnapshots, event_store)
    writer_lease = providers.Singleton(
        lambda s: PostgresAdvisoryLease(s.database_url) if s.database_url else FileLease(s.data_dir / "engine.lock"),
        settings,
    )
    settler_lease = providers.Singleton(  # one settler at a time among `peoplecoin settler` processes
        lambda s: PostgresAdvisoryLease(s.database_url, key=SETTLER_LOCK_KEY) if s.database_url
        else FileLease(s.data_dir / "settler.lock"),
        settings,
    )
    market_follower = providers.Singleton(
        lambda store, snapshots, s: MarketFollower(store, snapshots, snapshot_every=s.snapshot_every, **FOLLOWING[s.role]),
        event_store,
        snapshot_store,
        settings,
    )
    live_feed = providers.Singleton(LiveFeed, market_follower)

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
    creators_view = providers.Singleton(SqlCreatorsView, view_database)
    portfolio_view = providers.Singleton(SqlPortfolioView, view_database)
    analytics_view = providers.Singleton(SqlAnalyticsView, view_database)
    depth_view = providers.Singleton(SqlDepthView, view_database)
    settlement_view = providers.Singleton(SqlSettlementView, view_database)
    projections = providers.Singleton(
        ProjectionRunner,
        store=event_store,
        clock=clock,
        gather=providers.Callable(lambda s: GATHER.get(s.role, 0.01), settings),
        projectors=providers.List(
            providers.Singleton(CategoriesProjector, categories_view),
            providers.Singleton(UsersProjector, users_view),
            providers.Singleton(TokensProjector, tokens_view),
            providers.Singleton(TradingProjector, trading_view),
            providers.Singleton(MarketProjector, market_view),
            providers.Singleton(CreatorsProjector, creators_view),
            providers.Singleton(PortfolioProjector, portfolio_view),
            providers.Singleton(AnalyticsProjector, analytics_view),
            providers.Singleton(DepthProjector, depth_view, event_store, snapshot_store),
            providers.Singleton(SettlementProjector, settlement_view),
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
        settings=providers.Factory(auth_settings, settings),
        announcements=pubsub,
    )
    live_sessions = providers.Singleton(LiveSessions, authentication, pubsub, clock)
    live_limits = providers.Singleton(
        lambda s, limiter, slots: LiveLimits(s.rate_limits, limiter, slots), settings, rate_limiter, connection_slots
    )
    profile_handler = providers.Singleton(ProfileHandler, event_store, clock)
    email_addresses = providers.Singleton(EmailValidatorAddresses)
    email_verification = providers.Singleton(
        lambda store, clock, randomness, mailer, addresses, s: EmailVerification(
            store, clock, randomness, mailer, addresses, hashlib.sha256(b"email-code:" + s.jwt_secret.encode()).digest()
        ),
        event_store,
        clock,
        randomness,
        mailer,
        email_addresses,
        settings,
    )
    user_queries = providers.Singleton(UserQueries, users_view, read_your_writes)
    trading_queries = providers.Singleton(TradingQueries, trading_view, read_your_writes)
    market_queries = providers.Singleton(MarketQueries, market_view, read_your_writes, clock)
    analytics_queries = providers.Singleton(
        AnalyticsQueries, analytics_view, market_view, market_queries, read_your_writes, clock
    )
    depth_queries = providers.Singleton(DepthQueries, depth_view, read_your_writes, clock)
    chain = providers.Singleton(
        lambda s: SuiChain(s.sui) if s.sui is not None else LocalLedgerChain(
            sqlalchemy_url(s.local_chain_url),
            operator_key=OperatorKey.parse(s.sui_operator_key) if s.sui_operator_key else None,
            delay=s.local_chain_delay,
        ),
        settings,
    )
    exchange = providers.Singleton(Exchange, event_store, snapshot_store, clock, trading_queries, chain)
    engine_service = providers.Singleton(EngineService, exchange)
    # serve: the engine's handler called in-process; the other roles: Redis Streams between processes
    command_bus = providers.Singleton(
        lambda s, pubsub: InProcessCommands() if s.role == "serve"
        else RedisCommandBus(s.redis_url, s.redis_prefix, pubsub, s.command_timeout),
        settings, pubsub,
    )
    command_queue = providers.Singleton(
        lambda s, pubsub, bus: bus if s.role == "serve"
        else RedisCommandQueue(s.redis_url, s.redis_prefix, pubsub, expire_after=s.command_timeout),
        settings, pubsub, command_bus,
    )
    engine = providers.Singleton(EngineClient, command_bus, market_follower, event_store, ids)
    settlement_queries = providers.Singleton(SettlementQueries, settlement_view, chain, clock, read_your_writes)
    # the settler and the deposit watcher command the engine like an api process; who leads: see Runtime
    settlement_leader = providers.Singleton(SettlementLeader)
    deposit_watcher = providers.Singleton(
        lambda engine, follower, leader, chain, store, clock: DepositWatcher(
            engine.handle, follower.reach, leader.leads, chain, store, clock
        ),
        engine, market_follower, settlement_leader, chain, event_store, clock,
    )
    settler = providers.Singleton(
        lambda engine, follower, leader, chain, view, runner, s: Settler(
            engine.handle, follower.reach, leader.leads, chain, view, views_caught_up(runner), s.settlement_seconds
        ),
        engine, market_follower, settlement_leader, chain, settlement_view, projections, settings,
    )
    money = providers.Singleton(
        lambda engine, store, s, ids, chain: MoneyMovement(engine, store, NetworkFees(dict(s.withdrawal_fees)), ids, chain),
        engine, event_store, settings, ids, chain,
    )
    portfolio_queries = providers.Singleton(PortfolioQueries, portfolio_view, market_queries, read_your_writes, clock)
    category_queries = providers.Singleton(CategoryQueries, categories_view, read_your_writes)
    add_category = providers.Singleton(AddCategoryHandler, event_store, clock, ids)
    rename_category = providers.Singleton(RenameCategoryHandler, event_store, clock)
    seed_categories = providers.Singleton(SeedCategoriesHandler, event_store, clock, ids)
    page_fetcher = providers.Singleton(lambda s: HttpPageFetcher(allow=s.scrape_allow), settings)
    page_reader = providers.Singleton(SelectolaxPageReader)
    scrape_profile = providers.Singleton(ScrapeProfile, page_fetcher, page_reader)

    # the creator side: what is listed comes from the committed market, which every process keeps
    listed = providers.Singleton(lambda follower: lambda token_id: follower.market.state.tokens.get(token_id), market_follower)
    documents = providers.Singleton(Documents, event_store, clock, ids, signature_verifier)
    onboarding = providers.Singleton(Onboarding, event_store, clock, ids, randomness, engine, listed)
    creator_lookup = providers.Singleton(CreatorLookup, event_store, listed)
    creator_profiles = providers.Singleton(CreatorProfiles, event_store, clock, ids, creator_lookup, listed)
    social = providers.Singleton(Social, event_store, clock, ids, creator_lookup)
    creator_queries = providers.Singleton(CreatorQueries, creators_view, read_your_writes)
    creator_directory = providers.Singleton(
        lambda view, market, follower, clock, consistency: CreatorDirectory(view, market, lambda: follower.market, clock, consistency),
        creators_view, market_queries, market_follower, clock, read_your_writes,
    )

    file_storage = providers.Singleton(
        lambda s, db: PostgresFileStorage(db) if s.database_url else FolderFileStorage(s.data_dir / "files"),
        settings,
        view_database,
    )
    upload_file = providers.Singleton(
        lambda s, storage: UploadFile(PillowFileInspector(), storage, s.upload_max_bytes), settings, file_storage
    )
    read_file = providers.Singleton(ReadFile, file_storage)


# Seconds the views wait after an append for the ones that follow, to write them in one batch (a reader waiting
# with ?min_position cuts it short). The projector process, on its own, gathers longer: each batch costs every view
# a transaction, and per-event work is the smaller part at tens of appends a second.
GATHER: dict[str, float] = {"projector": 0.1}

FOLLOWING: dict[str, dict[str, float]] = {  # how each role that keeps a committed market reads the log for it
    "serve": {},  # at every append (its own, and a word from another process)
    # an api process: once a few hundred events wait, else every 50 ms (the feed's added lag), in fewer reads
    "api": {"poll_interval": 0.05, "behind": 256},
    # the settler reads it where its own commands' answers are (it asks for those at once)
    "settler": {"poll_interval": 1.0, "behind": READ_BATCH},
}



def views_caught_up(runner: ProjectionRunner, timeout: float = 5.0) -> Callable[[int], Awaitable[bool]]:
    """What the settler waits for before it builds a batch: the settlement and users views at the position."""

    async def caught_up(position: int) -> bool:
        return await runner.wait_for("settlement", position, timeout) and await runner.wait_for("users", position, timeout)

    return caught_up


def build(settings: Settings) -> Container:
    return Container(settings=settings)


async def open_stores(c: Container, seed: bool = True) -> None:
    """Open the event store, bring the views' schema to head, start the local ledger (its tables and operator key)
    and seed a new store; what every tool needs first. ``seed=False`` leaves the seeding to the caller (the demo
    seeds with its own clock)."""
    c.event_store()
    runner: ProjectionRunner = c.projections()
    await c.view_database().migrate(runner.names)
    await c.chain().start()
    if not seed:
        return
    seeded = await c.seed_categories()()
    if seeded.value:
        log.info("seeded %d default categories", len(seeded.value))


def audit_checks(c: Container) -> list[AuditCheck]:
    """What ``peoplecoin audit`` runs, in order: money (replayed from the first event), then every view."""
    return [
        MoneyCheck(c.event_store(), c.snapshot_store(), encode_snapshot),
        ViewsMatchReplay(c.projections(), view_reader(c), lambda: replay_views(c)),
    ]


def view_reader(c: Container) -> SqlViewReader:
    runner: ProjectionRunner = c.projections()
    return SqlViewReader(c.view_database(), [cast(SqlView, runner.projector(n).view) for n in runner.names])


@asynccontextmanager
async def replay_views(c: Container) -> AsyncIterator[Replay]:
    """Every view, empty, in a scratch database of the live one's kind, fed from the live event store."""
    async with scratch_database(c.view_database()) as (db, where):
        scratch = build(c.settings())
        scratch.event_store.override(providers.Object(c.event_store()))
        scratch.view_database.override(providers.Object(db))
        scratch.projections.add_kwargs(alert=False)  # a poison event set aside in the replay is no live alert
        runner: ProjectionRunner = scratch.projections()
        await db.migrate(runner.names)
        yield Replay(runner, view_reader(scratch), where)


class Role(StrEnum):
    """What a process runs: each a ``peoplecoin`` subcommand, all from one configuration (docs/deployment.md)."""

    SERVE = "serve"  # everything in one process: the embedded default
    API = "api"  # HTTP and WebSocket; trading commands go to the engine over Redis Streams
    ENGINE = "engine"  # the one fenced writer: matching, group commit, snapshots
    PROJECTOR = "projector"  # every view, from the log
    SETTLER = "settler"  # settlement batches and chain deposits, commanding the engine over Redis Streams

    @property
    def serves_api(self) -> bool:
        return self in (Role.SERVE, Role.API)

    @property
    def sends_commands(self) -> bool:
        return self in (Role.SERVE, Role.API, Role.SETTLER)

    @property
    def runs_engine(self) -> bool:
        return self in (Role.SERVE, Role.ENGINE)

    @property
    def projects(self) -> bool:
        return self in (Role.SERVE, Role.PROJECTOR)

    @property
    def keeps_market(self) -> bool:
        """Follows the log into a committed market: for the API's reads and feed, or the settler's batches. The one
        holding the engine's lease (``serve``) or the settler's writes its snapshots."""
        return self in (Role.SERVE, Role.API, Role.SETTLER)


class Runtime:
    """A process's life, by its role: stores open; the committed market loaded and followed (not in an engine or a projector);
    the engine run where this process holds the writer lease (or stood by until it can), taking commands while
    it leads; views projected; all of it closed in reverse."""

    def __init__(self, c: Container) -> None:
        self.c = c
        self.role = Role(c.settings().role)
        self._tasks: list[asyncio.Task[None]] = []
        self._engine: EngineRole | None = None
        self._nudges = AppendNudges(c.pubsub()) if c.settings().redis_url else None

    async def start(self) -> None:
        c, role = self.c, self.role
        await open_stores(c)
        store = c.event_store()
        runner: ProjectionRunner = c.projections()
        wake: list[Callable[..., None]] = [runner.wake] if role.projects else []
        if role.keeps_market:
            follower: MarketFollower = c.market_follower()
            if role.serves_api:
                follower.publish_to(c.live_feed().publish)
            wake.append(follower.wake)
            await follower.load()
            self._tasks.append(asyncio.create_task(follower.run(), name="follow-the-log"))
        for listener in wake:
            store.listen(listener)
        if self._nudges is not None:
            store.listen(self._nudges.appended)
            if wake:
                hear = asyncio.create_task(self._nudges.listen(lambda head: [w(head) for w in wake]), name="hear-appends")
                self._tasks.append(hear)
        if role.sends_commands:
            await c.command_bus().start()
        if role is Role.SERVE:  # the in-process bus: the engine's handler answers 503 engine_elsewhere while standing by
            self._tasks.append(asyncio.create_task(c.command_queue().serve(c.engine_service().handle), name="commands"))
        if role.runs_engine and c.settings().engine:
            duty = None if role is Role.SERVE else lambda: c.command_queue().serve(c.engine_service().handle)
            engine = EngineRole(
                c.writer_lease(), store, c.exchange(), c.market_follower() if role.keeps_market else None, while_leading=duty
            )
            await engine.try_to_lead()  # before serving: a lone process answers orders from its first request
            self._tasks.append(asyncio.create_task(engine.run(), name="engine-role"))
            self._engine = engine
            if role is Role.SERVE:
                exchange = c.exchange()
                c.settlement_leader().leads = lambda: exchange.mode is Mode.RUNNING
                self._tasks.append(asyncio.create_task(self._settle(), name="settlement"))
        if role is Role.SETTLER:
            settling = LeasedDuty(c.settler_lease(), self._settle_and_snapshot, "settler")
            c.settlement_leader().leads = lambda: settling.holding
            self._tasks.append(asyncio.create_task(settling.run(), name="settler-role"))
        tune_garbage_collector()
        if role.serves_api:
            self._tasks.append(asyncio.create_task(c.live_sessions().run(), name="live-sessions"))
        if role.projects:
            try:
                await runner.catch_up()
            except ProjectionsBehind as behind:  # poison is set aside; this is a view whose database refused
                log.warning("starting with views behind (the runner keeps trying): %s", behind)
            self._tasks.append(asyncio.create_task(runner.run(), name="projections"))

    async def _settle_and_snapshot(self) -> None:
        """The leading settler's duties: settlement, and the committed market's snapshots (the engine process
        keeps no market of its own: reading its log back for them cost it a third of its CPU at saturation)."""
        follower: MarketFollower = self.c.market_follower()
        follower.writes_snapshots = True
        try:
            await self._settle()
        finally:
            follower.writes_snapshots = False

    async def _settle(self) -> None:
        """The settler, and the deposit watcher on a real chain (the local ledger's deposits are credited as an
        admin records them)."""
        duties = [self.c.settler().run()]
        if not self.c.chain().is_local:
            duties.append(self.c.deposit_watcher().run())
        await asyncio.gather(*duties)

    async def stop(self) -> None:
        leading = self._engine is not None and self._engine.leading
        snapshotting = self.role.keeps_market and self.c.market_follower().writes_snapshots
        if self._engine is not None:  # no new commands; those decided are stored and answered
            await self._engine.stop_duty()
        for task in reversed(self._tasks):
            await stop_task(task)
        if self.role.runs_engine:
            await self.c.exchange().close()
        if snapshotting:
            follower: MarketFollower = self.c.market_follower()
            with suppress(Exception):  # a snapshot now makes the next start short; without one it is only longer
                await follower.catch_up()
                if follower.market.position > follower.snapshotted_at:
                    await follower.snapshot()
        if leading:
            await self.c.writer_lease().release()
        if self.role.sends_commands:
            await self.c.command_bus().close()
        if self.role is Role.ENGINE:
            await self.c.command_queue().close()
        await close_clients(self.c)
        await close_stores(self.c)


def tune_garbage_collector() -> None:
    """The recovered books and balances live as long as the process: freeze them out of the collector's
    walks, and collect the young generation less often (each order makes many short-lived objects)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


async def close_clients(c: Container) -> None:
    """Pub/sub, and the Redis clients of expiring keys, rate limits and connection slots when on Redis."""
    await c.pubsub().close()
    for client in (c.expiring_keys(), c.rate_limiter(), c.connection_slots()):
        if isinstance(client, RedisExpiringKeys | RedisRateLimiter | RedisConnectionSlots):
            await client.close()


async def close_stores(c: Container) -> None:
    await c.chain().close()
    await c.view_database().close()
    await c.event_store().close()
