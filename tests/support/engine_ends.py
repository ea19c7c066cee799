"""What a settler or the deposit watcher is given, over an Exchange in the test's own process: commands through
an EngineService, the committed market read from the log, leading while the engine runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.eventstore.snapshots import RecorderSnapshots
from application.live.follower import MarketFollower
from application.live.market import CommittedMarket
from application.ports import EventStore
from application.trading.commands import EngineCommand
from application.trading.exchange import Done, Exchange, Mode
from application.trading.service import EngineService

Ends = tuple[
    Callable[[EngineCommand], Awaitable[Done]], Callable[[int], Awaitable[CommittedMarket]], Callable[[], bool]
]


def engine_ends(exchange: Exchange, store: EventStore) -> Ends:
    follower = MarketFollower(store, RecorderSnapshots(store))

    async def market(position: int) -> CommittedMarket:
        await follower.catch_up()
        assert follower.market.position >= position
        return follower.market

    return EngineService(exchange).handle, market, lambda: exchange.mode is Mode.RUNNING
