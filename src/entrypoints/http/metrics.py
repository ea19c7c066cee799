"""The read side's figures on /metrics, next to the request metrics of Litestar's PrometheusController.

The application layer knows nothing of Prometheus: the runner keeps each
view's position, dead-letter count and failing state in memory, and this
collector reads them at scrape time (no database round trip).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from application.projections.runner import ProjectionRunner


class ProjectionCollector(Collector):
    def __init__(self, runner: Callable[[], ProjectionRunner]) -> None:
        self._runner = runner  # the container's provider: the runner is made when the stores open, not before

    def collect(self) -> Iterator[GaugeMetricFamily]:
        position = GaugeMetricFamily(
            "peoplecoin_projection_position", "The log position each view has reached", labels=["view"]
        )
        dead = GaugeMetricFamily(
            "peoplecoin_projection_dead_letters",
            "Events each view could not apply and set aside (peoplecoin projections dead-letters)",
            labels=["view"],
        )
        failing = GaugeMetricFamily(
            "peoplecoin_projection_failing", "1 while a view cannot write and waits to try again", labels=["view"]
        )
        for view in self._runner().standing():
            position.add_metric([view.name], view.position)
            dead.add_metric([view.name], view.dead_letters)
            failing.add_metric([view.name], int(view.failing))
        yield from (position, dead, failing)

    def register(self) -> None:
        REGISTRY.register(self)

    def unregister(self) -> None:
        REGISTRY.unregister(self)
