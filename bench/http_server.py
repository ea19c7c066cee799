"""``peoplecoin serve`` for the benchmark's experiments: cProfile by signals, and what-if patches.

Started by ``bench.http_load`` instead of ``.venv/bin/peoplecoin serve`` when
``--profiler cprofile`` or ``--whatif`` asks for it; the served app is the
same, from ``entrypoints.cli``.

cProfile: SIGUSR1 starts the profiler, SIGUSR2 stops it and writes the stats
to ``$BENCH_CPROFILE_OUT``. Signal handlers run on the main thread, which is
the one uvicorn runs the event loop on, so that is the thread profiled; the
event-store writer and driver threads are not (py-spy sees them). cProfile
slows every Python call down: read its shares, not its rates.

What-if patches (``$BENCH_WHATIF``, comma-separated), each taking one cost
out of the server to measure what it costs; none is a fix to ship as is:

``no-revocation-lookup``  the guard checks the JWT only, not the expiring-keys
                          store (what an in-memory revocation set would cost:
                          about nothing per request)
``no-projections``        the projection runner does not run during the load
                          (views stay where start-up left them)
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import signal
import sys
from types import FrameType

from application.handlers.auth import Authentication
from application.ports import AccessClaims
from application.projections.runner import ProjectionRunner
from entrypoints.cli import main

PROFILER = cProfile.Profile()
WHATIFS = ("no-revocation-lookup", "no-projections")


def _start(_signal: int, _frame: FrameType | None) -> None:
    PROFILER.enable()


def _stop(_signal: int, _frame: FrameType | None) -> None:
    PROFILER.disable()
    PROFILER.dump_stats(os.environ["BENCH_CPROFILE_OUT"])


async def _jwt_only(self: Authentication, access_token: str) -> AccessClaims:
    return self._tokens.read(access_token)  # type: ignore[attr-defined, no-any-return]


async def _never(self: ProjectionRunner) -> None:
    await asyncio.Event().wait()


def apply(whatifs: list[str]) -> None:
    for name in whatifs:
        if name == "no-revocation-lookup":
            Authentication.authenticate = _jwt_only  # type: ignore[method-assign]
        elif name == "no-projections":
            ProjectionRunner.run = _never  # type: ignore[method-assign]
        else:
            raise SystemExit(f"unknown what-if {name!r}; known: {', '.join(WHATIFS)}")


if __name__ == "__main__":
    apply([w.strip() for w in os.environ.get("BENCH_WHATIF", "").split(",") if w.strip()])
    if os.environ.get("BENCH_CPROFILE_OUT"):
        signal.signal(signal.SIGUSR1, _start)
        signal.signal(signal.SIGUSR2, _stop)
    sys.exit(main(["serve"]))
