"""The command bus inside one process (``serve``): a command is handed to the engine's handler directly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

from application.trading.commands import EngineCommand, EngineUnavailable
from application.trading.exchange import Done

Handler = Callable[[EngineCommand], Awaitable[Done]]


class InProcessCommands:
    """Both ends at once: ``serve`` installs the engine's handler; ``send`` calls it."""

    def __init__(self) -> None:
        self._handle: Handler | None = None

    async def start(self) -> None:
        return None

    async def send(self, command_id: UUID, command: EngineCommand) -> Done:
        if self._handle is None:
            raise EngineUnavailable("no engine serves commands in this process yet; retry shortly")
        return await self._handle(command)

    async def serve(self, handle: Handler) -> None:
        self._handle = handle
        try:
            await asyncio.Event().wait()
        finally:
            self._handle = None

    async def close(self) -> None:
        self._handle = None
