"""Pub/sub inside one process: for tests and a single-process deployment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from adapters.pubsub.fanout import FanOut
from application.ports import Subscription


class InProcessPubSub:
    """publish() hands the message straight to this process's subscribers."""

    def __init__(self) -> None:
        self._fanout = FanOut()

    async def publish(self, channel: str, message: bytes) -> None:
        self._fanout.deliver(channel, message)

    @asynccontextmanager
    async def subscribe(self, channels: Sequence[str], max_queue: int = 1000) -> AsyncIterator[Subscription]:
        """See QueuedSubscription for how overflow and close() end the stream."""
        subscription, _ = self._fanout.attach(channels, max_queue)
        try:
            yield subscription
        finally:
            await subscription.close()

    async def ping(self) -> None:
        """Nothing to reach: the backend is this process."""

    async def close(self) -> None:
        self._fanout.close()
