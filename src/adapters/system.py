"""The real clock, id source and randomness, for the running server (tests pass fixed ones)."""

import secrets
from datetime import UTC, datetime
from uuid import UUID, uuid4


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def random_id() -> UUID:
    return uuid4()


class SystemRandomness:
    def token(self, nbytes: int) -> str:
        return secrets.token_urlsafe(nbytes)

    def hex(self, nbytes: int) -> str:
        return secrets.token_hex(nbytes)

    def digits(self, n: int) -> str:
        return str(secrets.randbelow(10**n)).zfill(n)
