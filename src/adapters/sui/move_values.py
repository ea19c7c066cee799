"""The Move values the Sui adapter reads, byte by byte, and the type strings it compares.

There is no PeopleCoin Move package in this repository yet, so the layouts are
assumptions, written down here and checked on every read (length and object
id), so that a package that differs fails loudly instead of being misread:

- ``{package}::vault::Vault<T> has key { id: UID, balance: Balance<T> }``.
  Its BCS contents are the 32 bytes of the id, then the balance as a u64
  little-endian (``Balance<T>`` is a struct of one ``u64``): 40 bytes.
- A pool ``{id: UID, token_reserve: u64, usd_reserve: u64}``: 48 bytes. Its
  module and type name are not fixed by the spec, so only the layout is checked.
- ``0x2::coin::Coin<T> { id: UID, balance: Balance<T> }``: the same 40 bytes as
  a vault (used for the gas coin when the node does not fill ``Object.balance``).
- The deposit event ``{package}::vault::Deposited<phantom T> has copy, drop
  { sender: address, amount: u64 }``: the coin type ``T`` is the event's type
  argument (not a field), the contents are 32 bytes of address then the u64:
  40 bytes.

Type strings are compared after normalization: every address in them is
written as ``0x`` + 64 lowercase hex digits (the node writes ``0x2`` in full,
configuration may not) and spaces are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.sui.errors import MalformedAnswer

UID_LENGTH = 32
ADDRESS_LENGTH = 32
U64_LENGTH = 8
SUI_COIN_TYPE = "0x2::coin::Coin<0x2::sui::SUI>"

_ADDRESS_IN_TYPE = re.compile(r"0[xX]([0-9a-fA-F]{1,64})(?![0-9a-fA-F])")
_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{1,64}")


def normalize_address(address: str) -> str:
    """``0x`` + 64 lowercase hex digits; ValueError for anything that is not an address."""
    if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
        raise ValueError(f"not a Sui address or object id: {address!r}")
    return "0x" + address[2:].lower().rjust(64, "0")


def normalize_type(type_tag: str) -> str:
    """A Move type string with every address written in full and no spaces."""
    return _ADDRESS_IN_TYPE.sub(lambda m: "0x" + m.group(1).lower().rjust(64, "0"), type_tag.replace(" ", ""))


def split_type(type_tag: str) -> tuple[str, list[str]]:
    """``a::m::S<X, Y<Z>>`` → (``a::m::S``, [``X``, ``Y<Z>``]), split at the outer level only."""
    text = normalize_type(type_tag)
    start = text.find("<")
    if start < 0:
        return text, []
    if not text.endswith(">"):
        raise ValueError(f"unbalanced type arguments in {type_tag!r}")
    arguments: list[str] = []
    depth, begin = 0, start + 1
    for i, char in enumerate(text[start + 1 : -1], start + 1):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced type arguments in {type_tag!r}")
        elif char == "," and depth == 0:
            arguments.append(text[begin:i])
            begin = i + 1
    if depth != 0:
        raise ValueError(f"unbalanced type arguments in {type_tag!r}")
    arguments.append(text[begin:-1])
    return text[:start], arguments


def _u64(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + U64_LENGTH], "little")


def _contents(what: str, object_id: str, contents: bytes | None, length: int) -> bytes:
    """The contents of an object laid out as ``id: UID`` then fixed-size fields, checked."""
    if contents is None:
        raise MalformedAnswer(f"{what} {object_id}: the node sent no contents")
    if len(contents) != length:
        raise MalformedAnswer(
            f"{what} {object_id}: contents are {len(contents)} bytes, the documented layout is {length}"
        )
    if "0x" + contents[:UID_LENGTH].hex() != normalize_address(object_id):
        raise MalformedAnswer(f"{what} {object_id}: the contents carry the id 0x{contents[:UID_LENGTH].hex()}")
    return contents


def vault_balance(object_id: str, object_type: str | None, coin_type: str, contents: bytes | None) -> int:
    """The balance of a ``vault::Vault<coin_type>``; MalformedAnswer for any other type or layout."""
    if object_type is not None:
        try:
            base, arguments = split_type(object_type)
        except ValueError as exc:
            raise MalformedAnswer(f"vault {object_id}: unreadable type {object_type!r}") from exc
        if not base.endswith("::vault::Vault") or arguments != [normalize_type(coin_type)]:
            raise MalformedAnswer(f"vault {object_id} is a {object_type}, not a vault::Vault<{coin_type}>")
    data = _contents("vault", object_id, contents, UID_LENGTH + U64_LENGTH)
    return _u64(data, UID_LENGTH)


def pool_reserves(object_id: str, contents: bytes | None) -> tuple[int, int]:
    """(token_reserve, usd_reserve) of a pool object ``{id, token_reserve: u64, usd_reserve: u64}``."""
    data = _contents("pool", object_id, contents, UID_LENGTH + 2 * U64_LENGTH)
    return _u64(data, UID_LENGTH), _u64(data, UID_LENGTH + U64_LENGTH)


def coin_balance(object_id: str, contents: bytes | None) -> int:
    """The value of a ``Coin<T>`` from its contents."""
    data = _contents("coin", object_id, contents, UID_LENGTH + U64_LENGTH)
    return _u64(data, UID_LENGTH)


def deposited_coin_type(event_type: str | None, types_package: str) -> str | None:
    """The coin type of a ``{types_package}::vault::Deposited<T>`` event type, None for any other event."""
    if not event_type:
        return None
    try:
        base, arguments = split_type(event_type)
    except ValueError:
        return None  # not one of ours: ours is always well formed
    if base != f"{normalize_address(types_package)}::vault::Deposited":
        return None
    if len(arguments) != 1:
        raise MalformedAnswer(f"a Deposited event with {len(arguments)} type arguments: {event_type}")
    return arguments[0]


def deposited_fields(where: str, contents: bytes | None) -> tuple[str, int]:
    """(sender, amount) of a Deposited event's BCS contents."""
    if contents is None or len(contents) != ADDRESS_LENGTH + U64_LENGTH:
        size = "no" if contents is None else len(contents)
        raise MalformedAnswer(f"Deposited event {where}: {size} bytes of contents, the layout is 40")
    return "0x" + contents[:ADDRESS_LENGTH].hex(), _u64(contents, ADDRESS_LENGTH)


_CURSOR = re.compile(r"sui-cp:v1:(\d{1,20})(?::(\d{1,10}):(\d{1,10}))?")


@dataclass(frozen=True, slots=True)
class DepositCursor:
    """Where a deposit scan stands: every event before checkpoint ``checkpoint`` is consumed, and in that
    checkpoint every event up to (``transaction``, ``event``) inclusive; (-1, -1) when none of it is.

    Written as ``sui-cp:v1:{checkpoint}`` or ``sui-cp:v1:{checkpoint}:{transaction}:{event}``; callers keep it as
    opaque text."""

    checkpoint: int
    transaction: int = -1
    event: int = -1

    def __str__(self) -> str:
        if self.transaction < 0:
            return f"sui-cp:v1:{self.checkpoint}"
        return f"sui-cp:v1:{self.checkpoint}:{self.transaction}:{self.event}"

    @classmethod
    def parse(cls, text: str) -> DepositCursor:
        match = _CURSOR.fullmatch(text)
        if match is None:
            raise ValueError(f"not a deposit cursor of the Sui adapter: {text!r}")
        checkpoint, transaction, event = match.groups()
        if transaction is None:
            return cls(int(checkpoint))
        return cls(int(checkpoint), int(transaction), int(event))

    def consumed(self, checkpoint: int, transaction: int, event: int) -> bool:
        """Whether the event at this position was handed out before."""
        if checkpoint != self.checkpoint:
            return checkpoint < self.checkpoint
        return (transaction, event) <= (self.transaction, self.event)
