"""The three single-key signature schemes Sui accounts use, and the numbers that define them.

One table for the signer (``keys``) and the verifier (``signatures``): the flag
byte that starts a serialized signature and an address preimage, the public key
length, and for the two ECDSA curves their group order (range checks, low S).
"""

from __future__ import annotations

from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import ec

SIGNATURE_LENGTH = 64
"""Ed25519's signature, and ECDSA's r ‖ s as two 32-byte big-endian integers."""

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256R1_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class KeyScheme(StrEnum):
    ED25519 = "ed25519"
    SECP256K1 = "secp256k1"
    SECP256R1 = "secp256r1"

    @property
    def flag(self) -> int:
        return _FLAGS[self]

    @property
    def public_key_length(self) -> int:
        """32 for Ed25519; 33 (a compressed SEC1 point) for the ECDSA curves."""
        return 32 if self is KeyScheme.ED25519 else 33

    @classmethod
    def of_flag(cls, flag: int) -> KeyScheme | None:
        return _BY_FLAG.get(flag)


_FLAGS = {KeyScheme.ED25519: 0x00, KeyScheme.SECP256K1: 0x01, KeyScheme.SECP256R1: 0x02}
_BY_FLAG = {flag: scheme for scheme, flag in _FLAGS.items()}

CURVES: dict[KeyScheme, tuple[ec.EllipticCurve, int]] = {
    KeyScheme.SECP256K1: (ec.SECP256K1(), SECP256K1_ORDER),
    KeyScheme.SECP256R1: (ec.SECP256R1(), SECP256R1_ORDER),
}
"""Each ECDSA scheme's curve and group order."""
