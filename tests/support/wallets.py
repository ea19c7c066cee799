"""Sui wallets for tests, signing with pysui (an implementation independent of ours)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from pysui.sui.sui_crypto import SuiKeyPair, keypair_from_keystring

ED25519, SECP256K1, SECP256R1 = 0, 1, 2
SCHEMES = {"ed25519": ED25519, "secp256k1": SECP256K1, "secp256r1": SECP256R1}
CURVE_ORDER = {
    SECP256K1: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    SECP256R1: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
}


@dataclass
class Wallet:
    flag: int
    keypair: SuiKeyPair

    @classmethod
    def new(cls, flag: int = ED25519) -> Wallet:
        order = CURVE_ORDER.get(flag, 2**256)
        secret = secrets.randbelow(order - 1) + 1
        return cls(flag, keypair_from_keystring(base64.b64encode(bytes([flag]) + secret.to_bytes(32, "big")).decode()))

    @property
    def address(self) -> str:
        import hashlib

        return "0x" + hashlib.blake2b(self.keypair.public_key.scheme_and_key(), digest_size=32).hexdigest()

    def sign(self, message: str) -> str:
        """``signPersonalMessage`` of the UTF-8 bytes: base64 ``flag || signature || public key``."""
        return self.keypair.sign_personal_message(base64.b64encode(message.encode()).decode())


def high_s(signature: str) -> str:
    """The same ECDSA signature with s replaced by n - s: valid mathematically, refused as non-canonical."""
    raw = bytearray(base64.b64decode(signature))
    flag = raw[0]
    s = int.from_bytes(raw[33:65], "big")
    raw[33:65] = (CURVE_ORDER[flag] - s).to_bytes(32, "big")
    return base64.b64encode(bytes(raw)).decode()


def with_flag(signature: str, flag: int) -> str:
    raw = bytearray(base64.b64decode(signature))
    raw[0] = flag
    return base64.b64encode(bytes(raw)).decode()
