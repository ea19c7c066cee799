"""The few BCS values written by hand, and Sui's text forms of addresses and digests.

Sui's pure arguments are BCS bytes the chain reads back by the Move parameter's
type: a ``u64`` is 8 bytes little-endian, a ``vector<u8>`` its ULEB128 length then
its bytes, an ``address`` its 32 bytes. We write them here rather than through
pysui's ``PureInput`` helpers, whose output depends on how Python typed the value.
"""

from __future__ import annotations

import re

import base58

ADDRESS_LENGTH = 32
DIGEST_LENGTH = 32
U64_MAX = 2**64 - 1

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{64}")


def uleb128(n: int) -> bytes:
    """BCS length prefix: 7 bits a byte, least significant first, high bit = more follows."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def checked_u64(n: int) -> int:
    """``n`` when it is an integer a u64 holds (not a bool); ValueError otherwise."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= U64_MAX:
        raise ValueError(f"a u64 is an integer in [0, 2^64 - 1], not {n!r}")
    return n


def u64(n: int) -> bytes:
    return checked_u64(n).to_bytes(8, "little")


def byte_vector(data: bytes) -> bytes:
    return uleb128(len(data)) + bytes(data)


def address(text: str) -> bytes:
    """The 32 bytes of ``0x`` + 64 hex digits (either case); ValueError for any other spelling."""
    if not isinstance(text, str) or not _ADDRESS.fullmatch(text):
        raise ValueError(f"a Sui address or object id is 0x + 64 hex digits, not {text!r}")
    return bytes.fromhex(text[2:])


def address_text(raw: bytes) -> str:
    return "0x" + bytes(raw).hex()


def normalized_address(text: str) -> str:
    return address_text(address(text))


def digest_bytes(text: str) -> bytes:
    """The 32 bytes of a Base58 digest (object or transaction); ValueError otherwise."""
    try:
        raw = base58.b58decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError, AttributeError):
        raise ValueError(f"a digest is Base58 text, not {text!r}") from None
    if len(raw) != DIGEST_LENGTH or base58.b58encode(raw).decode("ascii") != text:
        raise ValueError(f"a digest is the Base58 of {DIGEST_LENGTH} bytes, not {text!r}")
    return raw


def digest_text(raw: bytes) -> str:
    return base58.b58encode(bytes(raw)).decode("ascii")
