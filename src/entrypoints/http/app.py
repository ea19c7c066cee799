"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from entrypoints.container import Container, Runtime
from entrypoints.http.auth import APP_STATE_KEY, provide_claims
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.categories import AdminCategoriesController, CategoriesController
from entrypoints.http.controllers.health import HealthController, ReadinessChecks
from entrypoints.http.controllers.tokens import AdminTradingController, TokensController, TransactionsController
from entrypoints.http.controllers.trading import (
    BalancesController,
    OrderBookController,
    OrdersController,
    TradesController,
)
from entrypoints.http.controllers.users import UsersController
from entrypoints.http.errors import problem_details
from entrypoints.http.ratelimit import RateLimits
from entrypoints.http.ws import live_feed


def create_app(container: Container) -> Litestar:
    runtime = Runtime(container)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
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
                "exchange",
                "trading_queries",
                "chain",
                "ids",
                "market_queries",
                "read_your_writes",
                "pubsub",
                "snapshot_source",
                "live_sessions",
                "live_limits",
            )
        },
    }
    return Litestar(
        route_handlers=[
            HealthController,
            PrometheusController,
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
            live_feed,
        ],
        dependencies=dependencies,
        lifespan=[lifespan],
        plugins=[problem_details],
        middleware=[
            prometheus.middleware,
            RateLimits(container.settings().rate_limits, container.rate_limiter(), container.authentication()),
        ],
        state=State({APP_STATE_KEY: container.authentication()}),
        openapi_config=OpenAPIConfig(
            title="PeopleCoin API",
            version="1",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
        ),
        logging_config=None,
    )
