"""Which failures are a backing service being unreachable (the database, Redis), rather than a bug.

An answer to such a failure is ``503`` with ``Retry-After``: the request may
well succeed once the service is back. Everything else unexpected stays a
500, logged with its traceback.
"""

from __future__ import annotations

import psycopg
import redis.exceptions
from eventsourcing.persistence import InterfaceError as RecorderInterfaceError
from eventsourcing.persistence import OperationalError as RecorderOperationalError

from adapters.views.database import is_unavailable

_OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    psycopg.OperationalError,
    RecorderOperationalError,
    RecorderInterfaceError,
)


def is_outage(error: BaseException) -> bool:
    return isinstance(error, _OUTAGES) or is_unavailable(error)
