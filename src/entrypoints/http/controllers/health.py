"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import msgspec
from litestar import Controller, Response, get
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import CONTENT_TYPE_LATEST

from entrypoints.http.errors import Problem

CHECK_TIMEOUT = 2.0


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    checks: dict[str, str]


class ReadinessChecks:
    """Named checks, each an awaitable that raises when its dependency does not answer."""

    def __init__(self, checks: Mapping[str, Callable[[], Awaitable[object]]]) -> None:
        self._checks = dict(checks)

    async def run(self) -> dict[str, str]:
        names = list(self._checks)
        outcomes = await asyncio.gather(*(self._outcome(self._checks[n]) for n in names))
        return dict(zip(names, outcomes, strict=True))

    @staticmethod
    async def _outcome(check: Callable[[], Awaitable[object]]) -> str:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - any failure means "not ready", named in the answer
            return f"failed: {type(error).__name__}"
        return "ok"


class HealthController(Controller):
    tags = ["operations"]

    @get("/health", summary="The process is alive")
    async def health(self) -> Health:
        return Health("ok")

    @get("/ready", summary="The event store, the views and Redis (when configured) answer")
    async def ready(self, readiness: ReadinessChecks) -> Readiness:
        results = await readiness.run()
        if any(r != "ok" for r in results.values()):
            raise Problem(503, "not_ready", "a dependency is not answering", checks=results)
        return Readiness("ready", results)


class MetricsController(PrometheusController):
    """Litestar's Prometheus endpoint, documented as what it answers: the text format, not JSON."""

    tags = ["operations"]

    @get(media_type=CONTENT_TYPE_LATEST, summary="Prometheus metrics, in the text exposition format")
    async def get(self) -> Response[bytes]:
        return await PrometheusController.get.fn(self)  # type: ignore[no-any-return]
