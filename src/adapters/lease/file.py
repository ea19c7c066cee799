"""The embedded default's lease: an exclusive ``flock`` on a file in the data dir.

The kernel drops the lock with the process, however it ends (kill -9
included), so a lease never outlives its holder; while the holder lives it
cannot lose it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path


class FileLease:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self._released = asyncio.Event()

    async def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for an operator wondering who holds it
        self._fd = fd
        self._released.clear()
        return True

    async def lost(self) -> None:
        """A held flock is never lost while the process lives: this returns only once it is released."""
        await self._released.wait()

    async def release(self) -> None:
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        self._released.set()
