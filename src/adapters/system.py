"""The real clock and id source, for the running server (tests pass fixed ones)."""

from datetime import UTC, datetime
from uuid import UUID, uuid4


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def random_id() -> UUID:
    return uuid4()
