"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from entrypoints.container import Container, Runtime
from entrypoints.http.controllers.categories import CategoriesController
from entrypoints.http.controllers.health import HealthController, ReadinessChecks
from entrypoints.http.errors import problem_details


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
        app_name="peoplecoin", prefix="peoplecoin", group_path=True, exclude_unhandled_paths=True
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
        "category_queries": provide("category_queries"),
    }
    return Litestar(
        route_handlers=[HealthController, PrometheusController, CategoriesController],
        dependencies=dependencies,
        lifespan=[lifespan],
        plugins=[problem_details],
        middleware=[prometheus.middleware],
        openapi_config=OpenAPIConfig(
            title="PeopleCoin API",
            version="1",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
        ),
        logging_config=None,
    )
