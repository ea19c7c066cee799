"""The page fetcher refuses, before any connection, every URL that is not http(s) or whose host reaches an
address that is not public (CREATORS.md, POST /scrape).

The resolver is injected, so a made-up host name resolves to whatever the
test says and nothing here touches the network. A refusal must be
UrlNotAllowed: a check that let an address through would go on to connect
and end in another error (the deadline is short, so it would not hang).
Pages actually served, redirects, limits and TLS: tests/contract/test_page_fetcher.py.
"""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from adapters.web.addresses import embedded_ipv4, is_public
from adapters.web.fetcher import HttpPageFetcher, Resolver, system_resolver
from application.errors import PageUnusable, UrlNotAllowed

REFUSED = [
    "10.0.0.1",  # private
    "172.16.0.1",
    "192.168.1.1",
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "169.254.169.254",  # link-local: cloud metadata
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0",  # unspecified: connects to this host on Linux
    "0.1.2.3",  # "this network"
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "192.0.0.8",  # IETF protocol assignments
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fe80::1",  # link-local
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
    "fc00::1",  # unique local
    "fd12:3456::1",
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "::a00:1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "2001:db8::1",  # documentation
    "100::1",  # discard-only
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2002:808:808::"]


def resolving(*answers: list[str]) -> tuple[Resolver, list[str]]:
    """A resolver giving each answer in turn (the last one from then on), and the hosts it was asked."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), len(answers)) - 1]

    return resolve, asked


def fetcher(resolver: Resolver = system_resolver, allow: tuple[str, ...] = ()) -> HttpPageFetcher:
    return HttpPageFetcher(resolver=resolver, allow=allow, timeout=2)


@pytest.mark.parametrize("address", REFUSED)
def test_an_address_that_is_not_public_is_refused_by_the_rule(address: str) -> None:
    assert not is_public(ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_a_public_unicast_address_passes_the_rule(address: str) -> None:
    assert is_public(ip_address(address))


def test_the_ipv4_inside_ipv6_forms_is_found() -> None:
    assert embedded_ipv4(ip_address("::ffff:10.0.0.1")) == [ip_address("10.0.0.1")]
    assert embedded_ipv4(ip_address("64:ff9b::a00:1")) == [ip_address("10.0.0.1")]
    assert embedded_ipv4(ip_address("2002:a00:1::")) == [ip_address("10.0.0.1")]
    assert ip_address("10.0.0.1") in embedded_ipv4(ip_address("2001:0:4136:e378:8000:63bf:f5ff:fffe"))
    assert embedded_ipv4(ip_address("2606:4700:4700::1111")) == []


@pytest.mark.parametrize("address", REFUSED)
async def test_a_host_resolving_to_an_address_that_is_not_public_is_refused(address: str) -> None:
    resolve, asked = resolving([address])
    with pytest.raises(UrlNotAllowed) as refused:
        await fetcher(resolve).fetch("http://profiles.example/alice")
    assert refused.value.code == "url_not_allowed"
    assert asked == ["profiles.example"]


@pytest.mark.parametrize("address", REFUSED)
async def test_a_url_naming_an_address_that_is_not_public_is_refused_without_a_lookup(address: str) -> None:
    resolve, asked = resolving(["93.184.215.14"])
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UrlNotAllowed):
        await fetcher(resolve).fetch(f"https://{host}:8443/admin")
    assert asked == []


@pytest.mark.parametrize("answer", [["93.184.215.14", "10.0.0.1"], ["127.0.0.1", "93.184.215.14"], ["2606:4700::1", "::1"]])
async def test_a_host_with_one_public_and_one_private_address_is_refused(answer: list[str]) -> None:
    resolve, _ = resolving(answer)
    with pytest.raises(UrlNotAllowed):
        await fetcher(resolve).fetch("http://mixed.example/")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "file:///etc/passwd",
        "gopher://example.com:70/_",
        "javascript:alert(1)",
        "data:text/html,<p>hi</p>",
        "//example.com/no-scheme",
        "example.com/no-scheme",
        "",
        "http://",
        "http://user:secret@example.com/",
        "http://[::1",
    ],
)
async def test_only_an_http_or_https_url_with_a_host_and_no_credentials_is_fetched(url: str) -> None:
    resolve, asked = resolving(["93.184.215.14"])
    with pytest.raises(UrlNotAllowed):
        await fetcher(resolve).fetch(url)
    assert asked == []


@pytest.mark.parametrize(
    "url", ["http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://localhost./", "http://LOCALHOST/"]
)
async def test_odd_spellings_of_loopback_are_refused_after_the_system_resolves_them(url: str) -> None:
    with pytest.raises(UrlNotAllowed):
        await fetcher().fetch(url)


async def test_the_allow_list_names_exact_hosts_so_another_name_for_the_same_address_is_still_refused() -> None:
    resolve, _ = resolving(["127.0.0.1"])
    allowed = fetcher(resolve, allow=("127.0.0.1", "pages.test"))
    for url in ("http://localhost/", "http://sub.pages.test/", "http://pages.test.evil.example/"):
        with pytest.raises(UrlNotAllowed):
            await allowed.fetch(url)


async def test_a_host_that_does_not_resolve_is_an_unusable_page() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    with pytest.raises(PageUnusable):
        await fetcher(nowhere).fetch("http://no-such-host.example/")
    resolve, _ = resolving([])
    with pytest.raises(PageUnusable):
        await fetcher(resolve).fetch("http://empty-answer.example/")
    with pytest.raises(PageUnusable):  # a label past 63 characters: the system refuses to encode it, no lookup
        await fetcher().fetch("http://" + "a" * 70 + ".example/")
