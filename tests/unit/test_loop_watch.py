"""LoopWatch: a callback that holds the event loop, and a garbage collection, show up on /metrics' histograms."""

from __future__ import annotations

import asyncio
import gc
import time

from prometheus_client import REGISTRY

from application.tasks import stop_task
from entrypoints.http.metrics import LoopWatch


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_stall_of_the_loop_and_a_collection_are_measured() -> None:
    late = "peoplecoin_event_loop_delay_seconds_bucket"
    before = (sample(late, le="0.025"), sample(late, le="+Inf"), sample("peoplecoin_gc_pause_seconds_count", generation="2"))
    watch = asyncio.create_task(LoopWatch().run())
    try:
        await asyncio.sleep(0.05)
        time.sleep(0.06)  # a callback holding the loop
        await asyncio.sleep(0.05)
        gc.collect()
    finally:
        await stop_task(watch)
    quick, every, collections = (sample(late, le="0.025"), sample(late, le="+Inf"), sample("peoplecoin_gc_pause_seconds_count", generation="2"))
    assert every - before[1] > quick - before[0]  # a tick at least was over 25 ms late
    assert every - before[1] >= 3
    assert collections == before[2] + 1
    gc.collect()
    assert sample("peoplecoin_gc_pause_seconds_count", generation="2") == collections  # stopped: no longer watched
