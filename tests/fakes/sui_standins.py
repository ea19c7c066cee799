"""THROWAWAY stand-ins for ``adapters.sui.keys`` and ``adapters.sui.transactions``.

Those two modules are being written on another branch, with the signatures
used here: ``OperatorKey`` (``address``, ``sign_transaction``,
``from_private_key``, ``generate``), ``Deployment`` (package id, and per asset a
vault's object id, initial shared version and coin type),
``build_batch_transaction`` and ``transaction_digest``. Until they are merged,
``install()`` puts these minimal versions under those module names, and only
when the real ones cannot be imported, so that ``adapters.sui.node`` imports.
Delete this file once both branches are merged.

They are minimal but real: the bytes are a Sui ``TransactionData`` V1 made
with pysui's BCS types, the digest and the Ed25519 signature are Sui's, so
the fake node can check them as a node would.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field

import base58
from nacl.signing import SigningKey
from pysui.sui.sui_bcs import bcs
from pysui.sui.sui_crypto import SuiKeyPair

from adapters.sui.signatures import sui_address
from adapters.sui.signer import Ed25519Wallet
from application.ports import BatchContent, ObjectRef

TRANSACTION_INTENT = b"\x00\x00\x00"


class OperatorKey:
    def __init__(self, seed: bytes) -> None:
        self._key = SigningKey(seed)
        self.public_key = bytes(self._key.verify_key)
        self.address = sui_address(0x00, self.public_key)
        self.private_key = Ed25519Wallet(seed).private_key

    @classmethod
    def from_private_key(cls, text: str) -> OperatorKey:
        return cls(SuiKeyPair.from_bech32(text).to_bytes()[-32:])

    @classmethod
    def generate(cls, scheme: str = "ed25519") -> OperatorKey:
        if scheme.lower() != "ed25519":
            raise ValueError(scheme)
        return cls(bytes(SigningKey.generate()))

    def sign_transaction(self, tx_bytes: bytes) -> bytes:
        digest = hashlib.blake2b(TRANSACTION_INTENT + tx_bytes, digest_size=32).digest()
        return b"\x00" + self._key.sign(digest).signature + self.public_key


@dataclass(frozen=True, slots=True)
class VaultConfig:
    object_id: str
    initial_shared_version: int
    coin_type: str


@dataclass(frozen=True, slots=True)
class Deployment:
    package_id: str
    vaults: Mapping[str, VaultConfig] = field(default_factory=dict)


def transaction_digest(tx_bytes: bytes) -> str:
    return base58.b58encode(hashlib.blake2b(b"TransactionData::" + tx_bytes, digest_size=32).digest()).decode()


def _address(text: str) -> bcs.Address:
    return bcs.Address.from_str(text)


def _pure(data: bytes) -> bcs.CallArg:
    return bcs.CallArg("Pure", list(data))


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def _uleb128(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def build_batch_transaction(
    content: BatchContent,
    deployment: Deployment,
    sender: str,
    payment: list[ObjectRef],
    gas_price: int,
    gas_budget: int,
) -> bytes:
    inputs = [
        _pure(_u64(content.sequence)),
        _pure(_uleb128(len(content.trades_root)) + content.trades_root),
        _pure(_u64(content.trade_count)),
    ]
    package = _address(deployment.package_id)
    commands = [
        bcs.Command(
            "MoveCall",
            bcs.ProgrammableMoveCall(
                package, "settlement", "record_batch", [], [bcs.Argument("Input", i) for i in range(3)]
            ),
        )
    ]
    vault_inputs: dict[str, int] = {}
    for payout in content.payouts:
        vault = deployment.vaults[payout.asset]
        if payout.asset not in vault_inputs:
            vault_inputs[payout.asset] = len(inputs)
            shared = bcs.SharedObjectReference(_address(vault.object_id), vault.initial_shared_version, True)
            inputs.append(bcs.CallArg("Object", bcs.ObjectArg("SharedObject", shared)))
        inputs.append(_pure(_u64(payout.amount)))
        inputs.append(_pure(bytes.fromhex(payout.recipient[2:].rjust(64, "0"))))
        arguments = [vault_inputs[payout.asset], len(inputs) - 2, len(inputs) - 1]
        commands.append(
            bcs.Command(
                "MoveCall",
                bcs.ProgrammableMoveCall(
                    package,
                    "vault",
                    "withdraw",
                    [bcs.TypeTag.type_tag_from(vault.coin_type)],
                    [bcs.Argument("Input", i) for i in arguments],
                ),
            )
        )
    gas = bcs.GasData(
        [bcs.ObjectReference(_address(r.object_id), r.version, bcs.Digest.from_str(r.digest)) for r in payment],
        _address(sender),
        gas_price,
        gas_budget,
    )
    kind = bcs.TransactionKind("ProgrammableTransaction", bcs.ProgrammableTransaction(inputs, commands))
    data = bcs.TransactionDataV1(kind, _address(sender), gas, bcs.TransactionExpiration("None"))
    return bcs.TransactionData("V1", data).serialize()


def install() -> None:
    """Register the stand-ins as adapters.sui.keys / adapters.sui.transactions when those do not exist yet."""
    for name, members in (
        ("adapters.sui.keys", {"OperatorKey": OperatorKey}),
        (
            "adapters.sui.transactions",
            {
                "Deployment": Deployment,
                "VaultConfig": VaultConfig,
                "build_batch_transaction": build_batch_transaction,
                "transaction_digest": transaction_digest,
            },
        ),
    ):
        if name in sys.modules or importlib.util.find_spec(name) is not None:
            continue
        module = types.ModuleType(name, "THROWAWAY test stand-in: see tests/fakes/sui_standins.py")
        module.__dict__.update(members)
        sys.modules[name] = module
