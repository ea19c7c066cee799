"""The Sui adapter's readings of Move values, type strings, deposit cursors and node URLs, without a node."""

from __future__ import annotations

import pytest

from adapters.sui.errors import MalformedAnswer
from adapters.sui.grpc_node import NodeAddress
from adapters.sui.move_values import (
    DepositCursor,
    deposited_coin_type,
    deposited_fields,
    normalize_address,
    normalize_type,
    pool_reserves,
    split_type,
    vault_balance,
)

VAULT = "0x" + "d4" * 32
PACKAGE = "0x" + "a1" * 32
FULL_2 = "0x" + "0" * 63 + "2"


def u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def test_addresses_and_types_are_compared_written_in_full() -> None:
    assert normalize_address("0x2") == FULL_2
    assert normalize_address("0X" + "AB" * 32) == "0x" + "ab" * 32
    assert normalize_type("0x2::coin::Coin< 0x2::sui::SUI >") == f"{FULL_2}::coin::Coin<{FULL_2}::sui::SUI>"
    for bad in ("", "0x", "2", "0x" + "1" * 65, "0xzz"):
        with pytest.raises(ValueError):
            normalize_address(bad)


def test_a_type_is_split_at_its_outer_type_arguments_only() -> None:
    assert split_type("0x1::m::S") == (f"0x{'0' * 63}1::m::S", [])
    base, arguments = split_type("0x1::m::S<0x2::a::B<0x3::c::D, u64>, bool>")
    assert base.endswith("::m::S") and len(arguments) == 2 and arguments[1] == "bool"
    assert arguments[0] == normalize_type("0x2::a::B<0x3::c::D,u64>")
    for bad in ("0x1::m::S<u8", "0x1::m::S<u8>>", "0x1::m::S<u8>x"):
        with pytest.raises(ValueError):
            split_type(bad)


def test_a_vault_is_its_id_then_its_balance_and_nothing_else() -> None:
    contents = bytes.fromhex(VAULT[2:]) + u64(123_456_789)
    assert vault_balance(VAULT, f"{PACKAGE}::vault::Vault<0x2::sui::SUI>", "0x2::sui::SUI", contents) == 123_456_789
    assert vault_balance(VAULT, None, "0x2::sui::SUI", contents) == 123_456_789
    with pytest.raises(MalformedAnswer, match="not a vault::Vault"):
        vault_balance(VAULT, f"{PACKAGE}::vault::Vault<0x3::x::X>", "0x2::sui::SUI", contents)
    with pytest.raises(MalformedAnswer, match="sent no contents"):
        vault_balance(VAULT, None, "0x2::sui::SUI", None)
    with pytest.raises(MalformedAnswer, match="39 bytes"):
        vault_balance(VAULT, None, "0x2::sui::SUI", contents[:-1])


def test_a_pool_is_its_id_then_two_reserves() -> None:
    assert pool_reserves(VAULT, bytes.fromhex(VAULT[2:]) + u64(5) + u64(2**64 - 1)) == (5, 2**64 - 1)
    with pytest.raises(MalformedAnswer, match="carry the id"):
        pool_reserves(VAULT, bytes(32) + u64(5) + u64(6))


def test_only_our_packages_deposited_events_carry_a_coin_type() -> None:
    assert deposited_coin_type(f"{PACKAGE}::vault::Deposited<0x2::sui::SUI>", PACKAGE) == normalize_type("0x2::sui::SUI")
    assert deposited_coin_type(f"{PACKAGE}::vault::Withdrawn<0x2::sui::SUI>", PACKAGE) is None
    assert deposited_coin_type("0x7::vault::Deposited<0x2::sui::SUI>", PACKAGE) is None
    assert deposited_coin_type(None, PACKAGE) is None
    with pytest.raises(MalformedAnswer):
        deposited_coin_type(f"{PACKAGE}::vault::Deposited<u8, u8>", PACKAGE)
    assert deposited_fields("d#0", b"\x05" * 32 + u64(42)) == ("0x" + "05" * 32, 42)
    with pytest.raises(MalformedAnswer):
        deposited_fields("d#0", b"\x05" * 33 + u64(42))


def test_a_deposit_cursor_round_trips_and_knows_what_it_consumed() -> None:
    start, inside = DepositCursor(7), DepositCursor(7, 2, 1)
    assert DepositCursor.parse(str(start)) == start and DepositCursor.parse(str(inside)) == inside
    assert start.consumed(6, 99, 99) and not start.consumed(7, 0, 0)
    assert inside.consumed(7, 2, 1) and inside.consumed(7, 1, 5) and not inside.consumed(7, 2, 2)
    assert not inside.consumed(8, 0, 0)
    for bad in ("", "7", "sui-cp:v1:", "sui-cp:v1:7:1", "sui-cp:v1:-1", "sui-cp:v2:7"):
        with pytest.raises(ValueError):
            DepositCursor.parse(bad)


def test_a_node_url_says_its_host_port_and_whether_it_is_tls() -> None:
    assert NodeAddress.parse("http://127.0.0.1:9000") == NodeAddress("127.0.0.1", 9000, tls=False)
    assert NodeAddress.parse("https://fullnode.mainnet.sui.io") == NodeAddress("fullnode.mainnet.sui.io", 443, tls=True)
    assert NodeAddress.parse("fullnode.testnet.sui.io:443") == NodeAddress("fullnode.testnet.sui.io", 443, tls=True)
    for bad in ("http://127.0.0.1", "ftp://x:1", "http://:80", "https://host:port"):
        with pytest.raises(ValueError):
            NodeAddress.parse(bad)
