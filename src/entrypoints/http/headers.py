"""Headers on every answer: the browser security set, no caching of anything personal, and CORS when configured.

One ``before_send`` hook sets them on every HTTP answer the app gives,
404s and refusals from middleware included (route middleware would miss
the paths no route matches). Choices, in ``docs/api-conventions.md``:

- ``Content-Security-Policy``: the API answers JSON, so nothing may load
  (``default-src 'none'``); the ``/schema`` pages are the exception, with
  the script and style origins the Scalar and Swagger pages load from.
- ``Strict-Transport-Security`` always: browsers ignore it over plain HTTP
  (RFC 6797, 8.1), and behind a TLS-terminating proxy the app cannot tell
  the scheme unless the proxy is trusted, so "always" is the setting that
  works everywhere.
- ``Cache-Control: no-store`` on every answer to a request that carries a
  token (``Authorization``) and on the routes marked ``opt={"no_store": True}``
  (sign-in and refresh, which hand tokens out).
- Uploaded files (routes marked ``opt=PUBLIC_FILE``) are public and immutable:
  they keep their own ``Cache-Control`` whoever asks, and are served under
  ``FILE_POLICY``, which adds ``sandbox``: opened as a page, a file runs no
  script, submits no form and has an origin of its own (docs/uploads.md).
"""

from __future__ import annotations

from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src 'self' 'unsafe-inline' {_CDN}",  # the pages' own inline bootstrap scripts
        f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com",
        f"font-src 'self' data: {_CDN} https://fonts.gstatic.com https://fonts.scalar.com",
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)
FILE_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PUBLIC_FILE = {"content_security_policy": FILE_POLICY, "shared_cache": True}
DOCS_PATH = "/schema"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
NO_STORE = {"no_store": True}
# What a browser script may read of an answer besides the safe-listed headers.
EXPOSED = ["X-Event-Position", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", "WWW-Authenticate"]


async def secure_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    path: str = scope.get("path", "")
    handler = scope.get("route_handler")
    opt = handler.opt if handler is not None else {}
    headers["Content-Security-Policy"] = opt.get("content_security_policy") or (
        DOCS_POLICY if path == DOCS_PATH or path.startswith(DOCS_PATH + "/") else API_POLICY
    )
    carries_token = any(name == b"authorization" for name, _ in scope.get("headers", ()))
    if (carries_token and not opt.get("shared_cache")) or opt.get("no_store"):
        headers["Cache-Control"] = "no-store"


def cors(origins: tuple[str, ...]) -> CORSConfig | None:
    """Litestar's CORS for these origins (``*`` for any); none configured means no CORS headers at all.

    Tokens travel in ``Authorization``, never in cookies, so credentials stay off.
    """
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=EXPOSED,
        allow_credentials=False,
        max_age=600,
    )
