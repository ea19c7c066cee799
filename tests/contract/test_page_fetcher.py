"""The page fetcher against pages this test serves itself on 127.0.0.1 (plain HTTP and TLS).

The fetcher refuses loopback, so every test here names its hosts on the
allow list, which lifts the address check and nothing else: redirects are
still counted and checked, the size and time caps still hold, and the
connection still goes to the address resolved once. The servers are asyncio
servers in the test's own loop that write raw HTTP/1.1, so a test can send
what no polite server would (a body without end, a byte every 200 ms, a
gzip bomb). No timed assertions: the deadline is 1 s where a test needs it,
and an endless body can only end in the cap.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.web.fetcher import HttpPageFetcher, Resolver
from application.errors import FetchTimeout, PageTooLarge, PageUnusable, UrlNotAllowed

pytestmark = pytest.mark.timeout(60)

HTML = b"<!doctype html><html><head><title>Alice</title></head><body>hi</body></html>"
Route = Callable[[asyncio.StreamWriter], Awaitable[None]]


def response(status: int, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.1 {status} X\r\n{head}Connection: close\r\n\r\n".encode() + body


def page(body: bytes = HTML, content_type: str = "text/html; charset=utf-8", status: int = 200, **extra: str) -> Route:
    async def send(writer: asyncio.StreamWriter) -> None:
        writer.write(response(status, {"Content-Type": content_type, "Content-Length": str(len(body)), **extra}, body))

    return send


def redirect(location: str, status: int = 302) -> Route:
    return page(b"", status=status, Location=location)


async def endless(writer: asyncio.StreamWriter) -> None:
    """An HTML page that never ends (no length, no close): only the size cap can stop the reader."""
    writer.write(response(200, {"Content-Type": "text/html"}, b"<html><body>"))
    chunk = b"<p>" + b"x" * 65_536 + b"</p>"
    while True:
        writer.write(chunk)
        await writer.drain()


async def drip(writer: asyncio.StreamWriter) -> None:
    """A byte every 200 ms for ever: every read succeeds, so only the overall deadline can stop it."""
    writer.write(response(200, {"Content-Type": "text/html"}, b"<"))
    while True:
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(b"p")


async def silent(writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


@dataclass
class PageServer:
    """Serves ``routes`` by path on 127.0.0.1; records each request's path and Host header, and the SNI seen."""

    routes: dict[str, Route]
    tls: ssl.SSLContext | None = None
    port: int = 0
    seen: list[tuple[str, str]] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            path = head[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
            self.seen.append((path, headers.get("host", "")))
            await self.routes.get(path.split("?")[0], page(b"not here", status=404))(writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[PageServer]:
        if self.tls is not None:
            self.tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)  # type: ignore[assignment]
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self
            server.close()


def to_loopback(*names: str) -> tuple[Resolver, list[str]]:
    """A resolver sending every name to 127.0.0.1, and the names it was asked."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    return resolve, asked


def fetcher(allow: tuple[str, ...] = ("127.0.0.1",), **options: object) -> HttpPageFetcher:
    resolver, _ = to_loopback()
    return HttpPageFetcher(allow=allow, resolver=options.pop("resolver", resolver), **options)  # type: ignore[arg-type]


async def test_an_html_page_is_fetched_with_its_type_charset_and_body() -> None:
    async with PageServer({"/alice": page(content_type="text/html; Charset=\"ISO-8859-1\"")}).running() as server:
        fetched = await fetcher().fetch(server.url("/alice"))
    assert (fetched.url, fetched.final_url) == (server.url("/alice"), server.url("/alice"))
    assert (fetched.content_type, fetched.charset, fetched.body) == ("text/html", "iso-8859-1", HTML)


async def test_xhtml_is_html_too() -> None:
    async with PageServer({"/": page(content_type="application/xhtml+xml")}).running() as server:
        assert (await fetcher().fetch(server.url("/"))).body == HTML


async def test_five_redirects_are_followed_relative_ones_included_and_each_target_is_asked_once() -> None:
    routes = {
        "/1": redirect("/2", 301),
        "/2": redirect("3", 302),  # relative to /2: /3
            "/3": redirect("./4?from=3", 303),
        "/4": page(),  # an absolute redirect, set once the port is known
        "/5": redirect("/end#fragment", 308),
        "/end": page(),
    }
    async with PageServer(routes).running() as server:
        routes["/4"] = redirect(server.url("/5"), 307)
        fetched = await fetcher().fetch(server.url("/1"))
    assert fetched.final_url == server.url("/end")
    assert [path for path, _ in server.seen] == ["/1", "/2", "/3", "/4?from=3", "/5", "/end"]


async def test_a_sixth_redirect_is_refused_without_following_it() -> None:
    routes = {f"/{n}": redirect(f"/{n + 1}") for n in range(1, 7)} | {"/7": page()}
    async with PageServer(routes).running() as server:
        with pytest.raises(PageUnusable, match="redirects more than 5"):
            await fetcher().fetch(server.url("/1"))
    assert [path for path, _ in server.seen] == ["/1", "/2", "/3", "/4", "/5", "/6"]


async def test_the_redirect_cap_is_a_parameter() -> None:
    async with PageServer({"/1": redirect("/2"), "/2": page()}).running() as server:
        with pytest.raises(PageUnusable):
            await fetcher(max_redirects=0).fetch(server.url("/1"))
        assert (await fetcher(max_redirects=1).fetch(server.url("/1"))).final_url == server.url("/2")


async def test_a_redirect_from_an_allowed_host_to_one_that_is_not_is_refused_before_connecting() -> None:
    routes = {"/hop": page(), "/secret": page(b"<p>secret</p>")}  # /hop redirects, once the port is known
    resolver, _ = to_loopback()
    allowed_by_name = HttpPageFetcher(allow=("pages.test",), resolver=resolver)
    async with PageServer(routes).running() as server:
        routes["/hop"] = redirect(server.url("/secret"))  # 127.0.0.1 itself is not on this allow list
        with pytest.raises(UrlNotAllowed):
            await allowed_by_name.fetch(server.url("/hop", host="pages.test"))
        routes["/hop"] = redirect(server.url("/secret", host="localhost"))
        with pytest.raises(UrlNotAllowed):
            await allowed_by_name.fetch(server.url("/hop", host="pages.test"))
        # the same redirect to an allowed host is followed
        routes["/hop"] = redirect(server.url("/secret", host="pages.test"))
        assert (await allowed_by_name.fetch(server.url("/hop", host="pages.test"))).body == b"<p>secret</p>"
    assert [path for path, _ in server.seen] == ["/hop", "/hop", "/hop", "/secret"]


async def test_a_redirect_to_another_scheme_or_without_a_location_is_refused() -> None:
    routes = {"/ftp": redirect("ftp://127.0.0.1/file"), "/file": redirect("file:///etc/passwd"), "/none": page(b"", status=302)}
    async with PageServer(routes).running() as server:
        for path in ("/ftp", "/file"):
            with pytest.raises(UrlNotAllowed):
                await fetcher().fetch(server.url(path))
        with pytest.raises(PageUnusable):
            await fetcher().fetch(server.url("/none"))


async def test_the_connection_goes_to_the_address_checked_and_the_name_is_resolved_once() -> None:
    """DNS rebinding: a second lookup would get 10.255.255.1 (nothing answers there); there is none."""
    answers = [["127.0.0.1"], ["10.255.255.1"]]
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), 2) - 1]

    rebind = HttpPageFetcher(allow=("rebind.test",), resolver=rebinding, timeout=5)
    async with PageServer({"/": page()}).running() as server:
        fetched = await rebind.fetch(server.url("/", host="rebind.test"))
    assert fetched.body == HTML
    assert asked == ["rebind.test"]
    assert server.seen == [("/", f"rebind.test:{server.port}")]  # the name in Host, the checked IP underneath


async def test_a_page_past_the_size_cap_is_refused_while_a_page_at_the_cap_is_read() -> None:
    routes = {"/at": page(b"x" * 1000), "/over": page(b"x" * 1001)}
    async with PageServer(routes).running() as server:
        assert len((await fetcher(max_bytes=1000).fetch(server.url("/at"))).body) == 1000
        with pytest.raises(PageTooLarge):
            await fetcher(max_bytes=1000).fetch(server.url("/over"))


async def test_a_page_without_end_stops_at_two_megabytes() -> None:
    async with PageServer({"/": endless}).running() as server:
        with pytest.raises(PageTooLarge) as refused:
            await fetcher().fetch(server.url("/"))  # the default cap; a 10 s deadline it must not reach
    assert refused.value.code == "page_too_large"


async def test_a_declared_length_past_the_cap_is_refused_before_reading() -> None:
    async def lies(writer: asyncio.StreamWriter) -> None:
        writer.write(response(200, {"Content-Type": "text/html", "Content-Length": str(10**12)}, b"<p>"))
        await asyncio.sleep(3600)  # reading would wait here until the deadline

    async with PageServer({"/": lies}).running() as server:
        with pytest.raises(PageTooLarge):
            await fetcher(timeout=30).fetch(server.url("/"))


async def test_a_compressed_page_is_decoded_and_a_compression_bomb_stops_at_the_cap() -> None:
    small = gzip.compress(HTML)
    bomb = gzip.compress(b"<p>" + b"\0" * 20_000_000)  # about 20 kB that would be 20 MB
    routes = {
        "/small": page(small, **{"Content-Encoding": "gzip"}),
        "/bomb": page(bomb, **{"Content-Encoding": "gzip"}),
        "/corrupt": page(b"not gzip at all", **{"Content-Encoding": "gzip"}),
        "/brotli": page(b"\x1b\x03", **{"Content-Encoding": "br"}),
    }
    async with PageServer(routes).running() as server:
        assert (await fetcher().fetch(server.url("/small"))).body == HTML
        with pytest.raises(PageTooLarge):
            await fetcher().fetch(server.url("/bomb"))
        for path in ("/corrupt", "/brotli"):
            with pytest.raises(PageUnusable):
                await fetcher().fetch(server.url(path))


async def test_a_server_dripping_bytes_hits_the_overall_deadline() -> None:
    async with PageServer({"/": drip}).running() as server:
        with pytest.raises(FetchTimeout) as late:
            await fetcher(timeout=1).fetch(server.url("/"))
    assert late.value.code == "fetch_timeout" and late.value.status == 504


async def test_a_server_that_never_answers_hits_the_deadline() -> None:
    async with PageServer({"/": silent}).running() as server:
        with pytest.raises(FetchTimeout):
            await fetcher(timeout=1).fetch(server.url("/"))


async def test_the_deadline_covers_the_lookup_too() -> None:
    async def slow(host: str, port: int) -> list[str]:
        await asyncio.sleep(3600)
        return []

    with pytest.raises(FetchTimeout):
        await HttpPageFetcher(resolver=slow, timeout=0.5).fetch("http://slow-dns.example/")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "image/png", "application/octet-stream", "", "text/htmlx", "application/pdf"],
)
async def test_an_answer_that_is_not_html_is_unusable(content_type: str) -> None:
    async with PageServer({"/": page(b"{}", content_type=content_type)}).running() as server:
        with pytest.raises(PageUnusable) as refused:
            await fetcher().fetch(server.url("/"))
    assert refused.value.code == "page_unusable"


@pytest.mark.parametrize("status", [204, 304, 400, 403, 404, 410, 429, 500, 502, 503])
async def test_an_http_error_or_an_answer_that_is_not_a_page_is_unusable(status: int) -> None:
    async with PageServer({"/": page(status=status)}).running() as server:
        with pytest.raises(PageUnusable, match=str(status)):
            await fetcher().fetch(server.url("/"))


async def test_a_refused_connection_or_a_broken_answer_is_unusable() -> None:
    async def garbage(writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")

    async with PageServer({"/": garbage}).running() as server:
        with pytest.raises(PageUnusable):
            await fetcher().fetch(server.url("/"))
    with pytest.raises(PageUnusable):  # the server is gone: nothing listens on its port now
        await fetcher().fetch(server.url("/"))


# ----- TLS: the certificate is checked against the host name, though the connection goes to an IP -----


@dataclass
class Pki:
    server: ssl.SSLContext  # serves a certificate for profile.test
    client: ssl.SSLContext  # trusts only the test's own CA


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    def key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = dt.datetime.now(dt.UTC)
    ca_key, leaf_key = key(), key()
    ca = (
        x509.CertificateBuilder().subject_name(name("test CA")).issuer_name(name("test CA"))
        .public_key(ca_key.public_key()).serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    leaf = (
        x509.CertificateBuilder().subject_name(name("profile.test")).issuer_name(ca.subject)
        .public_key(leaf_key.public_key()).serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("profile.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    folder = tmp_path_factory.mktemp("pki")
    (folder / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    pkcs8 = serialization.PrivateFormat.PKCS8
    (folder / "key.pem").write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption()))
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return Pki(server, client)


async def test_https_sends_the_host_name_as_sni_and_verifies_the_certificate_against_it(pki: Pki) -> None:
    resolver, asked = to_loopback()
    tls = HttpPageFetcher(allow=("profile.test",), resolver=resolver, tls=pki.client)
    async with PageServer({"/alice": page()}, tls=pki.server).running() as server:
        fetched = await tls.fetch(server.url("/alice", host="profile.test", scheme="https"))
    assert fetched.body == HTML
    assert asked == ["profile.test"]
    assert server.server_names == ["profile.test"]
    assert server.seen == [("/alice", f"profile.test:{server.port}")]


async def test_https_refuses_a_certificate_for_another_name_though_the_address_is_the_same(pki: Pki) -> None:
    resolver, _ = to_loopback()
    tls = HttpPageFetcher(allow=("other.test", "127.0.0.1"), resolver=resolver, tls=pki.client)
    async with PageServer({"/": page()}, tls=pki.server).running() as server:
        for host in ("other.test", "127.0.0.1"):
            with pytest.raises(PageUnusable):
                await tls.fetch(server.url("/", host=host, scheme="https"))
    assert server.seen == []  # no request was sent over either connection
    assert server.server_names == ["other.test", None]  # no SNI for an IP address


async def test_https_refuses_a_certificate_from_an_unknown_authority(pki: Pki) -> None:
    resolver, _ = to_loopback()
    default_roots = HttpPageFetcher(allow=("profile.test",), resolver=resolver)
    async with PageServer({"/": page()}, tls=pki.server).running() as server:
        with pytest.raises(PageUnusable):
            await default_roots.fetch(server.url("/", host="profile.test", scheme="https"))
    assert server.seen == []
