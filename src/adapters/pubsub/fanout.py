"""The local fan-out both pub/sub adapters share.

One message reaches every local subscriber of its channel through that
subscriber's own bounded queue, so a slow reader never stalls the publisher
or its neighbours: when its queue is full it is cut off instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, KeysView, Sequence

from application.ports import SubscriptionOverflow

Release = Callable[[list[str]], Awaitable[None]]
"""Called with the channels that just lost their last local subscriber."""


class QueuedSubscription:
    """One subscriber's bounded queue; iterating it yields ``(channel, message)``.

    The stream ends at once, dropping whatever is still queued: on overflow
    with SubscriptionOverflow (a subscriber that fell behind must resync from
    a snapshot anyway, so stale messages would only delay that), on close()
    with StopAsyncIteration. Whichever comes first decides.
    """

    def __init__(self, fanout: FanOut, channels: tuple[str, ...], max_queue: int) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, not {max_queue}")
        self.channels = channels
        self._fanout = fanout
        self._max_queue = max_queue
        self._queue: deque[tuple[str, bytes]] = deque()
        self._ended: type[Exception] | None = None
        self._wakeup = asyncio.Event()

    def __aiter__(self) -> QueuedSubscription:
        return self

    async def __anext__(self) -> tuple[str, bytes]:
        while not self._queue and self._ended is None:
            self._wakeup.clear()
            await self._wakeup.wait()
        if self._ended is not None:
            raise self._ended()
        return self._queue.popleft()

    async def close(self) -> None:
        """End the iteration and leave the fan-out; safe to call twice."""
        self.end(StopAsyncIteration)
        await self._fanout.detach(self)

    def offer(self, channel: str, message: bytes) -> None:
        """Queue a message without ever waiting; a full queue cuts the subscriber off."""
        if self._ended is not None:
            return
        if len(self._queue) >= self._max_queue:
            self.end(SubscriptionOverflow)
            return
        self._queue.append((channel, message))
        self._wakeup.set()

    def end(self, reason: type[Exception]) -> None:
        """Stop the stream with ``reason`` raised from then on; the first reason given wins."""
        if self._ended is None:
            self._ended = reason
            self._queue.clear()
            self._wakeup.set()


class FanOut:
    """Per-channel sets of local subscribers.

    An overflowed subscriber stays in its sets (offers to it are no-ops)
    until it is closed, so leaving, and releasing a backend channel, has a
    single path: QueuedSubscription.close().
    """

    def __init__(self, release: Release | None = None) -> None:
        self._release = release
        self._by_channel: dict[str, set[QueuedSubscription]] = {}
        self._closed = False

    @property
    def channels(self) -> KeysView[str]:
        """The channels with at least one local subscriber."""
        return self._by_channel.keys()

    def attach(self, channels: Sequence[str], max_queue: int) -> tuple[QueuedSubscription, list[str]]:
        """A new subscriber, and the channels it is the first local subscriber of."""
        if self._closed:
            raise RuntimeError("the pub/sub is closed")
        subscription = QueuedSubscription(self, tuple(dict.fromkeys(channels)), max_queue)
        fresh = [channel for channel in subscription.channels if channel not in self._by_channel]
        for channel in subscription.channels:
            self._by_channel.setdefault(channel, set()).add(subscription)
        return subscription, fresh

    async def detach(self, subscription: QueuedSubscription) -> None:
        vacated = []
        for channel in subscription.channels:
            subscribers = self._by_channel.get(channel)
            if subscribers is None or subscription not in subscribers:
                continue
            subscribers.remove(subscription)
            if not subscribers:
                del self._by_channel[channel]
                vacated.append(channel)
        if vacated and self._release is not None:
            await self._release(vacated)

    def deliver(self, channel: str, message: bytes) -> None:
        for subscription in self._by_channel.get(channel, ()):
            subscription.offer(channel, message)

    def close(self) -> None:
        """End every subscription; their later close() has nothing left to release."""
        self._closed = True
        for subscribers in self._by_channel.values():
            for subscription in subscribers:
                subscription.end(StopAsyncIteration)
        self._by_channel.clear()
