"""The Litestar application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig

from application.live.market import CommittedMarket
from application.tasks import stop_task
from entrypoints.container import Container, Runtime
from entrypoints.http.auth import APP_STATE_KEY, provide_claims, provide_optional_claims
from entrypoints.http.bodies import MAX_BODY_BYTES, BodyLimits
from entrypoints.http.controllers.settlement import (
    ChainFaultsController,
    CustodyController,
    SettlementController,
    TradeProofController,
)
from entrypoints.http.controllers.analytics import SentimentController, StatisticsController
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.categories import AdminCategoriesController, CategoriesController
from entrypoints.http.controllers.creators import (
    AdminCreatorsController,
    CreatorsController,
    FollowingController,
    TrendingController,
)
from entrypoints.http.controllers.onboarding import (
    AdminOnboardingController,
    ApplicationsController,
    DocumentsController,
    SignaturesController,
    SymbolsController,
)
from entrypoints.http.controllers.files import FilesController
from entrypoints.http.controllers.health import HealthController, MetricsController, ReadinessChecks
from entrypoints.http.controllers.portfolio import PortfolioController, TransfersController, WithdrawalFeesController
from entrypoints.http.controllers.scrape import ScrapeController
from entrypoints.http.controllers.tokens import AdminTradingController, TokensController, TransactionsController
from entrypoints.http.controllers.trading import (
    BalancesController,
    OrderBookController,
    OrdersController,
    TradesController,
)
from entrypoints.http.controllers.users import UsersController
from entrypoints.http.errors import problem_details
from entrypoints.http.metrics import LoopWatch, ProjectionCollector
from entrypoints.http.headers import cors, secure_headers
from entrypoints.http.openapi import SECURITY_COMPONENTS, ProblemResponses
from entrypoints.http.ratelimit import RateLimits
from entrypoints.http.ws import live_feed


def current_market(container: Container) -> Callable[[], Awaitable[CommittedMarket]]:
    """The committed market, once it holds everything the engine has acknowledged to this process (read your writes)."""

    async def market() -> CommittedMarket:  # made on first use: engine and projector processes keep no market
        return await container.market_follower().reach(container.engine().position)

    return market


def create_app(container: Container) -> Litestar:
    runtime = Runtime(container)
    projection_metrics = ProjectionCollector(container.projections)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await runtime.start()
        projection_metrics.register()
        watch = asyncio.create_task(LoopWatch().run(), name="loop-watch")
        try:
            yield
        finally:
            await stop_task(watch)
            projection_metrics.unregister()
            await runtime.stop()

    prometheus = PrometheusConfig(
        app_name="peoplecoin",
        prefix="peoplecoin",
        group_path=True,
        exclude_unhandled_paths=True,
        exclude=["/api/v1/ws"],  # it would wrap every message sent to every subscriber, for no useful figure
    )

    def provide(name: str) -> Provide:
        provider = getattr(container, name)
        return Provide(lambda: provider(), sync_to_thread=False)

    checks = {
        "event_store": lambda: container.event_store().head(),
        "views": lambda: container.view_database().ping(),
    }
    if container.settings().redis_url:
        checks["redis"] = lambda: container.pubsub().ping()
    readiness = ReadinessChecks(checks)

    dependencies: dict[str, Any] = {
        "readiness": Provide(lambda: readiness, sync_to_thread=False),
        "claims": Provide(provide_claims, sync_to_thread=False),
        "caller": Provide(provide_optional_claims),
        **{
            name: provide(name)
            for name in (
                "category_queries",
                "add_category",
                "rename_category",
                "user_queries",
                "authentication",
                "profile_handler",
                "email_verification",
                "engine",
                "trading_queries",
                "chain",
                "ids",
                "market_queries",
                "depth_queries",
                "read_your_writes",
                "market_follower",
                "live_sessions",
                "live_limits",
                "upload_file",
                "read_file",
                "documents",
                "onboarding",
                "creator_profiles",
                "social",
                "creator_queries",
                "creator_directory",
                "scrape_profile",
                "money",
                "portfolio_queries",
                "analytics_queries",
                "settlement_queries",
            )
        },
        "feed": provide("live_feed"),
        "market": Provide(current_market(container)),
        "caught_up": Provide(lambda: current_market(container), sync_to_thread=False),
    }
    settings = container.settings()
    if not runtime.role.serves_api:  # engine and projector processes: only /health, /ready and /metrics
        return Litestar(
            route_handlers=[HealthController, MetricsController],
            dependencies={"readiness": dependencies["readiness"]},
            lifespan=[lifespan],
            plugins=[problem_details],
            middleware=[prometheus.middleware],
            logging_config=None,
        )
    return Litestar(
        route_handlers=[
            SettlementController,
            TradeProofController,
            CustodyController,
            ChainFaultsController,
            HealthController,
            MetricsController,
            CategoriesController,
            AdminCategoriesController,
            AuthController,
            UsersController,
            BalancesController,
            OrdersController,
            TradesController,
            OrderBookController,
            TokensController,
            TransactionsController,
            AdminTradingController,
            FilesController,
            CreatorsController,
            FollowingController,
            TrendingController,
            AdminCreatorsController,
            DocumentsController,
            SignaturesController,
            SymbolsController,
            ApplicationsController,
            AdminOnboardingController,
            ScrapeController,
            PortfolioController,
            TransfersController,
            WithdrawalFeesController,
            StatisticsController,
            SentimentController,
            live_feed,
        ],
        dependencies=dependencies,
        lifespan=[lifespan],
        plugins=[problem_details, ProblemResponses()],
        # Body limits run inside the rate limits: a refused client's body is never read.
        middleware=[
            prometheus.middleware,
            RateLimits(settings.rate_limits, container.rate_limiter(), container.authentication()),
            BodyLimits(upload_max_bytes=settings.upload_max_bytes),
        ],
        request_max_body_size=MAX_BODY_BYTES,
        before_send=[secure_headers],
        cors_config=cors(settings.cors_origins),
        state=State({APP_STATE_KEY: container.authentication()}),
        openapi_config=OpenAPIConfig(
            title="PeopleCoin API",
            version="1",
            path="/schema",
            components=SECURITY_COMPONENTS,
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
        ),
        logging_config=None,
    )
