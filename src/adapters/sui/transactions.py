"""A settlement batch as a Sui transaction (SETTLEMENT.md): built with pysui's BCS types, read back strictly.

The bytes are a ``TransactionData::V1`` holding a programmable transaction, with
the gas payment, price and budget the chain port supplies and no expiration:

- command 0: ``{package}::settlement::record_batch(sequence: u64, trades_root: vector<u8>, trade_count: u64)``;
- then one command per payout, in order:
  ``{package}::vault::withdraw<{coin type}>(vault: &mut Vault, amount: u64, recipient: address)``.

Inputs, in order: the three pure arguments of ``record_batch``; then per payout,
its asset's vault (a mutable shared object) the first time that asset is paid,
then ``amount`` and ``recipient``. Each vault is an input once, however many
payouts draw on it: Sui refuses a transaction that names one object twice.

The pure arguments are BCS written here (``adapters.sui.encoding``), not by
pysui's ``PureInput``. Reading back (``parse_batch_transaction``) accepts exactly
what ``build_batch_transaction`` writes: after every field has been checked, the
batch is built again from what was read and must come out as the same bytes, so a
transaction with any other layout, an unknown coin type, a vault that is not that
asset's, an expiration, or a byte to spare is ``MalformedTransaction``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from pysui.sui.sui_bcs import bcs

from adapters.sui.deployment import Deployment, UnknownAsset, VaultConfig
from adapters.sui.encoding import (
    address,
    address_text,
    byte_vector,
    checked_u64,
    digest_bytes,
    digest_text,
    normalized_address,
    u64,
)
from application.ports import BatchContent, ObjectRef, Payout

__all__ = [
    "MAX_PAYOUTS",
    "Deployment",
    "MalformedTransaction",
    "ParsedBatch",
    "VaultConfig",
    "build_batch_transaction",
    "parse_batch_transaction",
    "transaction_digest",
]

SETTLEMENT_MODULE, RECORD_BATCH = "settlement", "record_batch"
VAULT_MODULE, WITHDRAW = "vault", "withdraw"
TRADES_ROOT_LENGTH = 32
MAX_PAYOUTS = 500
"""Withdrawals one batch can pay: Sui takes at most 1024 commands and 128 KiB of transaction; a payout costs one
command and about 170 bytes, so 500 leaves room. The settler closes a batch before it has more."""

_DIGEST_DOMAIN = b"TransactionData::"


class MalformedTransaction(ValueError):
    """Bytes that are not exactly a settlement batch for this deployment."""


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """What a batch transaction says: who pays with what gas, and the batch itself."""

    sender: str
    gas_payment: tuple[ObjectRef, ...]
    gas_price: int
    gas_budget: int
    content: BatchContent

    @property
    def sequence(self) -> int:
        return self.content.sequence

    @property
    def trades_root(self) -> bytes:
        return self.content.trades_root

    @property
    def trade_count(self) -> int:
        return self.content.trade_count

    @property
    def payouts(self) -> tuple[Payout, ...]:
        return self.content.payouts


def transaction_digest(tx_bytes: bytes) -> str:
    """Sui's transaction digest: Base58 of blake2b-256(``TransactionData::`` ‖ bytes)."""
    return digest_text(hashlib.blake2b(_DIGEST_DOMAIN + bytes(tx_bytes), digest_size=32).digest())


def build_batch_transaction(
    content: BatchContent,
    deployment: Deployment,
    sender: str,
    payment: list[ObjectRef],
    gas_price: int,
    gas_budget: int,
) -> bytes:
    """The batch's ``TransactionData`` bytes; ValueError for a content that cannot be one (see the module)."""
    if len(content.trades_root) != TRADES_ROOT_LENGTH:
        raise ValueError(f"trades_root is {TRADES_ROOT_LENGTH} bytes, not {len(content.trades_root)}")
    if len(content.payouts) > MAX_PAYOUTS:
        raise ValueError(f"a batch pays at most {MAX_PAYOUTS} withdrawals, not {len(content.payouts)}")
    if not payment:
        raise ValueError("a transaction names at least one gas coin")
    package = _address(deployment.package)
    inputs = [_pure(u64(content.sequence)), _pure(byte_vector(content.trades_root)), _pure(u64(content.trade_count))]
    commands = [_move_call(package, SETTLEMENT_MODULE, RECORD_BATCH, [], [0, 1, 2])]
    vault_inputs: dict[str, int] = {}
    for payout in content.payouts:
        vault = deployment.vault(payout.asset)
        if payout.amount <= 0:
            raise ValueError(f"a payout is more than zero, not {payout.amount}")
        if payout.asset not in vault_inputs:
            vault_inputs[payout.asset] = len(inputs)
            inputs.append(_shared_mutable(vault))
        amount, recipient = len(inputs), len(inputs) + 1
        inputs += [_pure(u64(payout.amount)), _pure(address(payout.recipient))]
        commands.append(
            _move_call(package, VAULT_MODULE, WITHDRAW, [_struct_tag(vault.coin_type)], [vault_inputs[payout.asset], amount, recipient])
        )
    coins = [
        bcs.ObjectReference(_address(ref.object_id), checked_u64(ref.version), bcs.Digest(list(digest_bytes(ref.digest))))
        for ref in payment
    ]
    gas = bcs.GasData(coins, _address(sender), checked_u64(gas_price), checked_u64(gas_budget))
    kind = bcs.TransactionKind("ProgrammableTransaction", bcs.ProgrammableTransaction(inputs, commands))
    data = bcs.TransactionDataV1(kind, _address(sender), gas, bcs.TransactionExpiration("None"))
    return bytes(bcs.TransactionData("V1", data).serialize())


def parse_batch_transaction(tx_bytes: bytes, deployment: Deployment) -> ParsedBatch:
    """What a batch transaction says; MalformedTransaction for any bytes ``build_batch_transaction`` would not
    have written for this deployment."""
    raw = bytes(tx_bytes)
    try:
        data = bcs.TransactionData.deserialize(raw)
    except Exception as error:  # canoser fails in many ways on hostile bytes; all mean the same here
        raise MalformedTransaction(f"not BCS TransactionData: {type(error).__name__}: {error}") from None
    try:
        parsed = _read(data, deployment)
        rebuilt = build_batch_transaction(
            parsed.content, deployment, parsed.sender, list(parsed.gas_payment), parsed.gas_price, parsed.gas_budget
        )
    except MalformedTransaction:
        raise
    except Exception as error:  # a field of the wrong shape: attribute, type, value
        raise MalformedTransaction(f"not a settlement batch: {type(error).__name__}: {error}") from None
    if rebuilt != raw:
        raise MalformedTransaction("not laid out as a settlement batch is (inputs, gas owner or expiration differ)")
    return parsed


# ----- building blocks -----


def _address(text: str) -> bcs.Address:
    return bcs.Address(list(address(text)))


def _pure(data: bytes) -> bcs.CallArg:
    return bcs.CallArg("Pure", list(data))


def _shared_mutable(vault: VaultConfig) -> bcs.CallArg:
    reference = bcs.SharedObjectReference(_address(vault.object_id), vault.initial_shared_version, True)
    return bcs.CallArg("Object", bcs.ObjectArg("SharedObject", reference))


def _struct_tag(coin_type: str) -> bcs.TypeTag:
    package, module, name = coin_type.split("::")
    return bcs.TypeTag("Struct", bcs.StructTag(_address(package), module, name, []))


def _move_call(package: bcs.Address, module: str, function: str, types: list[bcs.TypeTag], inputs: Sequence[int]) -> bcs.Command:
    arguments = [bcs.Argument("Input", i) for i in inputs]
    return bcs.Command("MoveCall", bcs.ProgrammableMoveCall(package, module, function, types, arguments))


# ----- reading back -----


def _read(data: bcs.TransactionData, deployment: Deployment) -> ParsedBatch:
    _expect(data.enum_name == "V1", "not TransactionData V1")
    v1 = data.value
    _expect(v1.TransactionKind.enum_name == "ProgrammableTransaction", "not a programmable transaction")
    _expect(v1.TransactionExpiration.enum_name == "None", "a batch transaction has no expiration")
    program = v1.TransactionKind.value
    inputs, commands = list(program.Inputs), list(program.Command)
    _expect(len(commands) >= 1, "no commands")
    package = address_text(bytes(commands[0].value.Package.Address)) if commands[0].enum_name == "MoveCall" else ""
    _expect(package == deployment.package, "the first command is not a call into the PeopleCoin package")

    sequence, trades_root, trade_count = _call(commands[0], package, SETTLEMENT_MODULE, RECORD_BATCH, 0, 3)
    trades_root_bytes = _pure_bytes(inputs, trades_root)
    _expect(trades_root_bytes[:1] == bytes([TRADES_ROOT_LENGTH]) and len(trades_root_bytes) == 1 + TRADES_ROOT_LENGTH,
            "trades_root is not a 32-byte vector<u8>")
    payouts = [_payout(command, inputs, deployment) for command in commands[1:]]
    gas = v1.GasData
    return ParsedBatch(
        sender=address_text(bytes(v1.Sender.Address)),
        gas_payment=tuple(
            ObjectRef(address_text(bytes(ref.ObjectID.Address)), ref.SequenceNumber, digest_text(bytes(ref.ObjectDigest.Digest)))
            for ref in gas.Payment
        ),
        gas_price=gas.Price,
        gas_budget=gas.Budget,
        content=BatchContent(
            sequence=_pure_u64(inputs, sequence),
            trades_root=trades_root_bytes[1:],
            trade_count=_pure_u64(inputs, trade_count),
            payouts=tuple(payouts),
        ),
    )


def _payout(command: bcs.Command, inputs: list[bcs.CallArg], deployment: Deployment) -> Payout:
    vault_input, amount, recipient = _call(command, deployment.package, VAULT_MODULE, WITHDRAW, 1, 3)
    type_tag = command.value.Type_Arguments[0]
    _expect(type_tag.enum_name == "Struct" and not type_tag.value.type_parameters, "the coin type is not a plain struct")
    tag = type_tag.value
    coin_type = f"{address_text(bytes(tag.address.Address))}::{tag.module}::{tag.name}"
    asset = deployment.asset_of(coin_type)
    _expect(asset is not None, f"no vault holds coin type {coin_type}")
    assert asset is not None
    try:
        vault = deployment.vault(asset)
    except UnknownAsset:
        raise MalformedTransaction(f"no vault for {asset}") from None
    shared = inputs[vault_input] if 0 <= vault_input < len(inputs) else None
    _expect(shared is not None and shared.enum_name == "Object" and shared.value.enum_name == "SharedObject",
            "withdraw's first argument is not a shared object")
    reference = shared.value.value
    _expect(
        address_text(bytes(reference.ObjectID.Address)) == vault.object_id
        and reference.SequenceNumber == vault.initial_shared_version
        and reference.Mutable is True,
        f"withdraw<{coin_type}> does not draw on {asset}'s vault, mutably",
    )
    recipient_bytes = _pure_bytes(inputs, recipient)
    _expect(len(recipient_bytes) == 32, "recipient is not an address")
    return Payout(asset=asset, amount=_pure_u64(inputs, amount), recipient=normalized_address(address_text(recipient_bytes)))


def _call(command: bcs.Command, package: str, module: str, function: str, type_count: int, argument_count: int) -> list[int]:
    """The input indexes of a Move call to exactly ``package::module::function`` with these many types and inputs."""
    _expect(command.enum_name == "MoveCall", f"expected a Move call to {module}::{function}")
    call = command.value
    _expect(
        address_text(bytes(call.Package.Address)) == package and call.Module == module and call.Function == function,
        f"expected {module}::{function}, found {call.Module}::{call.Function}",
    )
    _expect(len(call.Type_Arguments) == type_count, f"{function} takes {type_count} type arguments")
    arguments = list(call.Arguments)
    _expect(len(arguments) == argument_count and all(a.enum_name == "Input" for a in arguments),
            f"{function} takes {argument_count} inputs")
    return [a.value for a in arguments]


def _pure_bytes(inputs: list[bcs.CallArg], index: int) -> bytes:
    _expect(0 <= index < len(inputs) and inputs[index].enum_name == "Pure", "a pure argument is expected")
    return bytes(inputs[index].value)


def _pure_u64(inputs: list[bcs.CallArg], index: int) -> int:
    raw = _pure_bytes(inputs, index)
    _expect(len(raw) == 8, "a u64 is 8 bytes")
    return int.from_bytes(raw, "little")


def _expect(condition: bool, why: str) -> None:
    if not condition:
        raise MalformedTransaction(why)
