"""Figures on /metrics beside the request metrics of Litestar's PrometheusController: the read side's, and the
event loop's and garbage collector's pauses.

The application layer knows nothing of Prometheus: the runner keeps each
view's position, dead-letter count and failing state in memory, and this
collector reads them at scrape time (no database round trip).

A request waits for whatever holds the event loop: a long synchronous step
(a big batch applied to the committed market or a view, a snapshot encoded)
or a garbage collection. ``LoopWatch`` measures both, as histograms: how late
a 10 ms timer fires (``peoplecoin_event_loop_delay_seconds``) and how long
each collection takes (``peoplecoin_gc_pause_seconds``, by generation), so a
tail latency can be laid beside its cause.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import Histogram
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


PAUSES = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LOOP_DELAY = Histogram(
    "peoplecoin_event_loop_delay_seconds",
    "How late the event loop ran a 10 ms timer: the time a callback held the loop",
    buckets=PAUSES,
)
GC_PAUSE = Histogram(
    "peoplecoin_gc_pause_seconds", "How long each garbage collection paused the process", ["generation"], buckets=PAUSES
)


class LoopWatch:
    """Times the loop's lateness while ``run()`` runs, and every garbage collection of the process."""

    TICK = 0.01

    def __init__(self) -> None:
        self._collecting = 0.0
        self._by_generation = [GC_PAUSE.labels(str(g)) for g in range(3)]

    async def run(self) -> None:
        gc.callbacks.append(self._collection)
        try:
            loop = asyncio.get_running_loop()
            while True:
                due = loop.time() + self.TICK
                await asyncio.sleep(self.TICK)
                LOOP_DELAY.observe(max(loop.time() - due, 0.0))
        finally:
            gc.callbacks.remove(self._collection)

    def _collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._collecting = time.perf_counter()
        elif self._collecting:
            self._by_generation[min(info["generation"], 2)].observe(time.perf_counter() - self._collecting)
            self._collecting = 0.0
