"""The OpenAPI document is complete: every problem an operation can answer, its security, enumerations as enums.

Litestar documents each handler's success answer and, for a handler with
parameters, a 400 in its own error shape, which is not ours. The
``ProblemResponses`` plugin adds, once for every route as it is registered,
what the route's shape says it can answer: a guard means 401 (and 403 when
it names a role) and the Bearer security requirement; a body means 400, 413
and 422; parameters mean 422; a path parameter names something that may not
exist (404); a read model or the exchange behind it means 503; every route
the rate limiter covers can answer 429. A handler declares the rest itself
with ``responses=problems(409)``. All of them point at one problem-details
schema, served as ``application/problem+json``.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, OpenAPIResponse, Operation, SecurityScheme
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from entrypoints.http.auth import Requires
from entrypoints.http.bodies import MAX_BODY_BYTES, MAX_JSON_DEPTH
from entrypoints.http.errors import PROBLEM_JSON
from entrypoints.http.ratelimit import EXEMPT_PATHS

BEARER = "BearerToken"
SECURITY_COMPONENTS = Components(
    security_schemes={
        BEARER: SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="The access token from POST /api/v1/auth/verify or /auth/refresh (15 minutes).",
        )
    }
)


class InvalidField(msgspec.Struct, omit_defaults=True):
    message: str
    key: str | msgspec.UnsetType = msgspec.UNSET
    source: str | msgspec.UnsetType = msgspec.UNSET


class ProblemDetails(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details with our stable ``code``; some problems carry more members."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    errors: list[InvalidField] | msgspec.UnsetType = msgspec.UNSET  # validation_error: each field refused
    checks: dict[str, str] | msgspec.UnsetType = msgspec.UNSET  # not_ready: each dependency's outcome


WHEN = {
    400: f"`malformed_json`: the body is not JSON or is missing; `json_too_deep`: it nests more than {MAX_JSON_DEPTH} deep",
    401: "not signed in, or the token or session does not hold (`missing_token`, `invalid_token`, `token_expired`, "
    "`session_revoked`, …); `WWW-Authenticate: Bearer`",
    403: "`forbidden`: signed in, without the role this needs",
    404: "what the path or a parameter names does not exist (`token_not_found`, `order_not_found`, `category_not_found`, …)",
    409: "the command collides with the current state (`category_exists`, `symbol_taken`, `username_taken`, "
    "`order_not_open`, `order_already_placed`, `no_email_code`)",
    413: f"`payload_too_large`: the body is over {MAX_BODY_BYTES} bytes",
    422: "`validation_error` (a body or parameter of the wrong shape or range; `errors` names each), `invalid_cursor`, "
    "`invalid_text`, `min_position_not_written`, or the code of the rule the command breaks",
    429: "`rate_limited` (with `Retry-After` and `RateLimit-*` headers), or a command repeated too soon "
    "(`email_code_cooldown`, with `Retry-After`)",
    503: (
        "`read_model_behind`, `engine_elsewhere`, `engine_recovering`, `engine_unavailable` (no answer from the engine"
        " in time: the outcome is unknown; retry with the same `client_order_id` or `Idempotency-Key`), `commit_failed`,"
        " `service_unavailable` or"
        " `not_ready`: try again after `Retry-After`"
    ),
    504: "`fetch_timeout`: a page the server fetched did not arrive in time",
}

# Dependencies that wait for a read model or need the matching engine, either of which can answer 503.
_MAY_BE_UNAVAILABLE = frozenset(
    {"exchange", "market", "market_follower", "read_your_writes", "category_queries", "user_queries", "trading_queries",
     "market_queries", "analytics_queries", "depth_queries", "readiness"}
)
_NOT_PARAMETERS = frozenset({"self", "data", "request", "socket", "state", "scope", "headers", "cookies", "query", "body"})


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem-details answers with these statuses, for a handler's ``responses=``."""
    return {status: problem(WHEN[status]) for status in statuses}


def problem(description: str) -> ResponseSpec:
    """One problem-details answer said in the handler's own words, where ``WHEN``'s general ones do not fit."""
    return ResponseSpec(data_container=ProblemDetails, description=description, media_type=PROBLEM_JSON, generate_examples=False)


def roles_required(handler: HTTPRouteHandler) -> tuple[bool, bool]:
    """(signed in, with a role) as the handler's guards, on every layer that owns it, require."""
    guards = [g for layer in handler.ownership_layers for g in (layer.guards or []) if isinstance(g, Requires)]
    return bool(guards), any(g.roles for g in guards)


def statuses_of(handler: HTTPRouteHandler, route: HTTPRoute) -> set[int]:
    names = set(handler.parsed_fn_signature.parameters)
    dependencies = set(handler.resolve_dependencies())
    _, with_role = roles_required(handler)
    statuses: set[int] = set()
    if route.path not in EXEMPT_PATHS:
        # any request is counted (the rate limiter may be unreachable), and any bearer token sent along is checked
        statuses |= {401, 429, 503}
    if with_role:
        statuses.add(403)
    if "data" in names:
        statuses |= {400, 413, 422}
    if route.path_parameters or names - dependencies - _NOT_PARAMETERS:
        statuses.add(422)
    if route.path_parameters:
        statuses.add(404)
    if names & _MAY_BE_UNAVAILABLE:
        statuses.add(503)
    return statuses


@dataclass
class ProblemOperation(Operation):
    """An operation whose error answers are all ours: Litestar's own 400 (its ``ValidationException`` shape,
    ``application/json``, added to any handler with parameters) is dropped, as a refused parameter is our
    422; and a 204 has no body, where Litestar documents a JSON ``null``."""

    def __post_init__(self) -> None:
        for status, response in list((self.responses or {}).items()):
            ours = isinstance(response, OpenAPIResponse) and PROBLEM_JSON in (response.content or {})
            if status[0] in "45" and not ours:
                del self.responses[status]  # type: ignore[union-attr]
            elif status == "204" and isinstance(response, OpenAPIResponse):
                response.content = None


class ProblemResponses(ReceiveRoutePlugin):
    """Adds each route's problem answers and security requirement before the document is built (lazily, later)."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            declared = dict(handler.responses or {})
            handler.responses = {**problems(*sorted(statuses_of(handler, route) - declared.keys())), **declared}
            if not issubclass(handler.operation_class, ProblemOperation):  # a handler may refine it
                handler.operation_class = ProblemOperation
            if roles_required(handler)[0]:
                handler.security = [{BEARER: []}]
