"""One settler at a time: a duty runs only while its process holds the lease; another stands by and takes over
when the first stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

import entrypoints.engine as engine_module
from adapters.lease.file import FileLease
from entrypoints.engine import LeasedDuty


async def test_a_second_process_stands_by_and_takes_over_when_the_first_stops(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(engine_module, "LEASE_RETRY", 0.02)
    running: list[str] = []

    def duty(name: str):  # type: ignore[no-untyped-def]
        async def work() -> None:
            running.append(name)
            await asyncio.Event().wait()

        return work

    first = LeasedDuty(FileLease(tmp_path / "settler.lock"), duty("first"), "settler")
    second = LeasedDuty(FileLease(tmp_path / "settler.lock"), duty("second"), "settler")
    a = asyncio.create_task(first.run())
    await asyncio.sleep(0.05)
    b = asyncio.create_task(second.run())
    await asyncio.sleep(0.1)
    assert running == ["first"] and first.holding and not second.holding
    a.cancel()
    await asyncio.gather(a, return_exceptions=True)
    for _ in range(100):
        if second.holding:
            break
        await asyncio.sleep(0.02)
    assert running == ["first", "second"] and second.holding and not first.holding
    b.cancel()
    await asyncio.gather(b, return_exceptions=True)
