"""Every error as RFC 9457 problem details with a stable ``code``; bad input is never a 500.

Domain and application errors carry their own code. Framework errors get
one by kind: an unparsable body is ``malformed_json`` (400); a body or
parameter of the wrong shape is ``validation_error`` (422, the same status
as a broken business rule); an unknown path ``not_found``; and so on.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin

from adapters.outages import is_outage
from application.errors import ApplicationError, InvalidQuery, ReadModelBehind, ServiceUnavailable
from application.ports import SignatureRejected, TokenRejected
from domain.shared.errors import Conflict, DomainError, Forbidden, NotFound, TooSoon, Unauthenticated

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class Problem(ProblemDetailsException):
    """An error answered as problem details; raise it from entrypoint code for errors of our own."""

    def __init__(self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail=detail, status_code=status, headers=headers)
        self.code = code
        self.fields = extra

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": HTTPStatus(self.status_code).phrase,
            "status": self.status_code,
            "detail": self.detail,
            "instance": request.url.path,
            "code": self.code,
            **self.fields,
        }
        return Response(body, status_code=self.status_code, media_type=PROBLEM_JSON, headers=self.headers)


BEARER = {"WWW-Authenticate": "Bearer"}


def unauthenticated(code: str, detail: str) -> Problem:
    return Problem(401, code, detail, headers=BEARER)


def from_domain(error: DomainError) -> Problem:
    if isinstance(error, Unauthenticated):
        return unauthenticated(error.code, error.message)
    if isinstance(error, TooSoon):
        return Problem(429, error.code, error.message, headers={"Retry-After": str(error.retry_after_seconds)})
    if isinstance(error, Forbidden):
        return Problem(403, error.code, error.message)
    if isinstance(error, NotFound):
        return Problem(404, error.code, error.message)
    fields = getattr(error, "fields", {})
    if isinstance(error, Conflict):
        return Problem(409, error.code, error.message, **fields)
    return Problem(422, error.code, error.message, **fields)


def from_rejected_credentials(error: SignatureRejected | TokenRejected) -> Problem:
    return unauthenticated(error.code, error.message)


def from_application(error: ApplicationError) -> Problem:
    if error.status is not None:
        return Problem(error.status, error.code, error.message)
    if isinstance(error, ReadModelBehind | ServiceUnavailable):
        return Problem(503, error.code, error.message, headers={"Retry-After": "1"})
    if isinstance(error, InvalidQuery):
        return Problem(422, error.code, error.message)
    return Problem(400, error.code, error.message)


def from_http(error: HTTPException) -> Problem:
    if isinstance(error, Problem):
        return error
    status = error.status_code
    if status >= 500:
        return from_unexpected(error)
    if status == 400 and any(word in (error.detail or "").lower() for word in ("malformed", "truncated", "json")):
        return Problem(400, "malformed_json", f"the request body is not valid JSON ({error.detail})")
    if isinstance(error, ValidationException):
        errors = error.extra if isinstance(error.extra, list) else []
        if any(e.get("key") == "data" and e.get("message") == "'data'" for e in errors):
            return Problem(400, "malformed_json", "the request needs a JSON body")
        return Problem(422, "validation_error", error.detail, errors=errors)
    detail = error.detail if error.detail != HTTPStatus(status).phrase else _default_detail(status)
    return Problem(status, _CODES_BY_STATUS.get(status, f"http_{status}"), detail, headers=error.headers)


def from_unexpected(error: Exception) -> Problem:
    if is_outage(error):
        log.warning("a backing service is unreachable: %s: %s", type(error).__name__, error)
        return Problem(
            503, "service_unavailable", "a service this needs is unreachable; retry shortly", headers={"Retry-After": "1"}
        )
    log.exception("unhandled error", exc_info=error)
    return Problem(500, "internal_error", "something went wrong on our side; it has been logged")


def _default_detail(status: int) -> str:
    if status == 404:
        return "nothing is here"
    if status == 405:
        return "this path does not take that method"
    return HTTPStatus(status).description or HTTPStatus(status).phrase


problem_details = ProblemDetailsPlugin(
    ProblemDetailsConfig(
        exception_to_problem_detail_map={  # type: ignore[dict-item]
            DomainError: from_domain,
            SignatureRejected: from_rejected_credentials,
            TokenRejected: from_rejected_credentials,
            ApplicationError: from_application,
            HTTPException: from_http,
            Exception: from_unexpected,
        },
    )
)
