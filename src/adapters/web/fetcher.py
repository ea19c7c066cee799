"""GET a public page on a user's behalf without becoming a way into the private network (CREATORS.md, POST /scrape).

Each hop (the URL asked, then every redirect) goes through the same steps:

1. only ``http`` and ``https`` URLs, without credentials;
2. the host is resolved once, here, and every address it resolves to must be
   public (``adapters.web.addresses``), else ``UrlNotAllowed`` before any
   connection; a host on the allow list (tests) skips this check only;
3. the connection goes to the checked address: the request URL names the IP
   itself, the ``Host`` header the original host, and for https the TLS
   handshake sends the original host as SNI and verifies the certificate
   against it (httpcore's ``sni_hostname`` extension). Nothing resolves the
   name a second time, so a DNS answer that changes between the check and
   the connection (DNS rebinding) changes nothing.

The fetch goes through a bare httpx transport, one per hop: no client, so no
cookie jar, no proxy taken from the environment, no automatic redirects, and
no pooled connection reused for another host that shares the IP. Redirects
are followed here, at most ``max_redirects``. The body is read as a stream and
decompressed here under the same cap, so neither a page without end nor a
compression bomb is held in memory past ``max_bytes``. One deadline,
``timeout`` seconds, covers everything from the first lookup to the last
byte, so a server dripping a byte a second cannot hold a request open.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import httpx

from adapters.web.addresses import IPAddress, is_public, parse_address
from application.errors import FetchTimeout, PageTooLarge, PageUnusable, UrlNotAllowed
from application.ports import FetchedPage

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""(host, port) -> the host's IP addresses as text, e.g. ["93.184.215.14", "2606:2800::1"]."""

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PAGE_STATUSES = frozenset({200, 203})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "PeopleCoinBot/1.0 (profile preview)"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_COMPRESSED = frozenset({"gzip", "x-gzip", "deflate"})


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (getaddrinfo in the loop's executor), without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class _Target:
    """One hop: the URL as the page knows it, and the checked addresses to connect to instead of its host."""

    url: httpx.URL
    host: str  # ASCII (IDNA), lower-case, as sent in Host and SNI
    port: int
    addresses: tuple[IPAddress, ...]


class HttpPageFetcher:
    def __init__(
        self,
        *,
        allow: Iterable[str] = (),
        resolver: Resolver = system_resolver,
        max_bytes: int = 2 * 1024 * 1024,
        max_redirects: int = 5,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``allow``: exact host names or IP addresses whose addresses are not checked (PEOPLECOIN_SCRAPE_ALLOW).
        ``tls``: the context that verifies certificates (default: httpx's, with certifi's roots)."""
        self._allow = frozenset(_normal_host(entry) for entry in allow if entry.strip())
        self._resolve = resolver
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._timeout = timeout
        self._tls = tls or httpx.create_ssl_context()

    async def fetch(self, url: str) -> FetchedPage:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(url)
        except (TimeoutError, httpx.TimeoutException):
            raise FetchTimeout(f"the page did not arrive within {self._timeout:g} seconds") from None

    async def _follow(self, url: str) -> FetchedPage:
        current = _parse(url.strip())
        for hop in range(self._max_redirects + 1):
            target = await self._check(current)
            response = await self._get(target)
            try:
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise PageUnusable(f"the page answered HTTP {response.status_code} without a Location")
                    if hop == self._max_redirects:
                        raise PageUnusable(f"the page redirects more than {self._max_redirects} times")
                    current = _join(current, location)
                    continue
                return await self._page(url, target, response)
            finally:
                await response.aclose()
        raise AssertionError("unreachable: the last hop returns or raises")

    async def _check(self, url: httpx.URL) -> _Target:
        """Resolve the host once and refuse it unless every address is public (or the host is allowed)."""
        host = _normal_host(url.raw_host.decode("ascii"))
        port = url.port or _DEFAULT_PORTS[url.scheme]
        literal = parse_address(host)
        if literal is not None:
            addresses: tuple[IPAddress, ...] = (literal,)
        else:
            try:
                found = await self._resolve(host, port)
            except (OSError, ValueError) as error:  # no such host, no resolver; a name the system cannot encode
                raise PageUnusable(f"the host {host} does not resolve ({error})") from None
            addresses = tuple(a for a in (parse_address(text) for text in found) if a is not None)
            if not addresses:
                raise PageUnusable(f"the host {host} does not resolve to an IP address")
        if host not in self._allow and not all(is_public(a) for a in addresses):
            raise UrlNotAllowed(f"{host} is or resolves to an address that is not public: only public pages are read")
        return _Target(url, host, port, addresses)

    async def _get(self, target: _Target) -> httpx.Response:
        """GET the target from its checked addresses, in order, the next one only when connecting failed."""
        failure: Exception | None = None
        for address in target.addresses:
            request = httpx.Request(
                "GET",
                target.url.copy_with(host=str(address), port=target.port),  # the checked address, not the name
                headers={
                    "Host": target.url.netloc.decode("ascii"),
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,application/xhtml+xml;q=0.9",
                    "Accept-Encoding": "gzip, deflate",
                },
                extensions={
                    "sni_hostname": target.host,
                    "timeout": dict.fromkeys(("connect", "read", "write", "pool"), self._timeout),
                },
            )
            transport = httpx.AsyncHTTPTransport(verify=self._tls, trust_env=False, retries=0)
            try:
                response = await transport.handle_async_request(request)
            except BaseException as error:
                await transport.aclose()
                if isinstance(error, httpx.ConnectError):  # refused, unreachable, or a TLS handshake that failed
                    failure = error
                    continue
                if isinstance(error, httpx.TransportError) and not isinstance(error, httpx.TimeoutException):
                    raise PageUnusable(f"the connection to {target.host} failed ({type(error).__name__})") from None
                raise
            return _close_with(response, transport)
        raise PageUnusable(f"could not connect to {target.host} ({failure})")

    async def _page(self, asked: str, target: _Target, response: httpx.Response) -> FetchedPage:
        if response.status_code not in PAGE_STATUSES:  # an error, or a 204 or 206 that holds no whole page
            raise PageUnusable(f"the page answered HTTP {response.status_code}")
        media_type, charset = _content_type(response.headers.get("content-type", ""))
        if media_type not in HTML_TYPES:
            raise PageUnusable(f"the page is not HTML ({media_type or 'no content type'})")
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding == "identity" and declared.isdigit() and int(declared) > self._max_bytes:
            raise PageTooLarge(f"the page is over {self._max_bytes} bytes")
        body = await self._read(response, encoding)
        return FetchedPage(asked, str(target.url), media_type, charset, body)

    async def _read(self, response: httpx.Response, encoding: str) -> bytes:
        """The body, decoded from gzip or deflate if it came so, stopping as soon as it passes the cap."""
        if encoding not in _COMPRESSED | {"identity", ""}:
            raise PageUnusable(f"the page came in an encoding we do not read ({encoding})")
        inflate = zlib.decompressobj(wbits=47) if encoding in _COMPRESSED else None  # 47: gzip or zlib header
        body = bytearray()
        try:
            async for chunk in response.aiter_raw():
                while chunk:
                    if inflate is None:
                        body += chunk
                        chunk = b""
                    else:  # never more than one byte past the cap out of any chunk, however well it compresses
                        body += inflate.decompress(chunk, self._max_bytes + 1 - len(body))
                        chunk = inflate.unconsumed_tail
                    if len(body) > self._max_bytes:
                        raise PageTooLarge(f"the page is over {self._max_bytes} bytes")
        except zlib.error:
            raise PageUnusable(f"the page's {encoding} body is corrupt") from None
        except httpx.TimeoutException:
            raise
        except httpx.TransportError as error:
            raise PageUnusable(f"the connection broke while reading the page ({type(error).__name__})") from None
        return bytes(body)


def _close_with(response: httpx.Response, transport: httpx.AsyncHTTPTransport) -> httpx.Response:
    """Make ``response.aclose()`` close its one-hop transport too."""
    close_response = response.aclose

    async def aclose() -> None:
        try:
            await close_response()
        finally:
            await transport.aclose()

    response.aclose = aclose  # type: ignore[method-assign]
    return response


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UrlNotAllowed("not a URL the server can fetch") from None
    return _allowed_form(parsed)


def _join(base: httpx.URL, location: str) -> httpx.URL:
    try:
        joined = base.join(location.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UrlNotAllowed("the page redirects to something that is not a URL the server can fetch") from None
    return _allowed_form(joined)


def _allowed_form(url: httpx.URL) -> httpx.URL:
    if url.scheme not in _DEFAULT_PORTS:
        raise UrlNotAllowed("only http and https URLs can be fetched")
    if not url.raw_host:
        raise UrlNotAllowed("the URL names no host")
    if url.userinfo:
        raise UrlNotAllowed("a URL with a user name or password is not fetched")
    return url.copy_with(fragment=None)


def _normal_host(host: str) -> str:
    """Lower-case, without a trailing dot; an IP address in its canonical form, without brackets."""
    host = host.strip().lower().rstrip(".")
    address = parse_address(host)
    return str(address) if address is not None else host


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, *parameters = header.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip("\"'"):
            charset = value.strip().strip("\"'").lower()
    return media_type.strip().lower(), charset
