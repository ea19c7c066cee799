"""Which IP addresses a server-side fetch may connect to: public unicast ones only.

A page the server fetches for a user must not be a way into the private
network (SSRF): the metadata service at 169.254.169.254, a database on
10.0.0.5, the server's own admin port on 127.0.0.1. The rule is an allow
rule, so an address class nobody thought of is refused by default: an
address passes only when ``ipaddress`` calls it globally reachable and it is
none of loopback, private, link-local, multicast, reserved, unspecified or
IPv6 site-local (``is_global`` alone lets multicast and fec0::/10 through),
nor in a block of the IANA special-purpose registries that is not globally
reachable (listed here too, so the rule does not rest on one Python release's
tables).

IPv6 forms that carry an IPv4 address inside (IPv4-mapped ``::ffff:a.b.c.d``,
IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``,
Teredo ``2001::/32``) reach that IPv4 address through a translator or the
host's own stack, so the embedded address must pass the same rule as well.
Most of them are already refused as reserved or private; the explicit check
keeps the rule from depending on the Python release's address tables.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

IPAddress = IPv4Address | IPv6Address

# The IANA special-purpose registries' blocks that are not globally reachable, written out so the rule does
# not hang on the Python release's tables alone (3.11.7 calls the dummy address 192.0.0.8 global).
_NOT_PUBLIC = (
    *map(IPv4Network, ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12")),
    *map(IPv4Network, ("192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15")),
    *map(IPv4Network, ("198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4")),
    *map(IPv6Network, ("::/8", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16")),
    *map(IPv6Network, ("fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8")),
)
_IPV4_COMPATIBLE = IPv6Network("::/96")
_NAT64 = (IPv6Network("64:ff9b::/96"), IPv6Network("64:ff9b:1::/48"))


def parse_address(text: str) -> IPAddress | None:
    """``text`` as an IP address (an IPv6 zone ``%eth0`` dropped, brackets allowed), else None."""
    text = text.strip().removeprefix("[").removesuffix("]").split("%", 1)[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def is_public(address: IPAddress) -> bool:
    """True only for a globally reachable unicast address that embeds no address which is not."""
    if not _public_itself(address):
        return False
    return all(_public_itself(inner) for inner in embedded_ipv4(address))


def embedded_ipv4(address: IPAddress) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo server and client)."""
    if isinstance(address, IPv4Address):
        return []
    found: list[IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _IPV4_COMPATIBLE or any(address in prefix for prefix in _NAT64):
        found.append(IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _public_itself(address: IPAddress) -> bool:
    if not address.is_global:
        return False
    if (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return False
    if isinstance(address, IPv6Address) and address.is_site_local:
        return False
    return not any(address in block for block in _NOT_PUBLIC if block.version == address.version)

