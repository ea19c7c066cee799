"""Sui signatures, checked offline exactly as the Sui SDK checks them: one verifier for wallets' personal
messages (sign-in, documents) and for the operator's settlement transactions.

A serialized signature is ``flag || signature || public key``. What it signs is an
intent message, and the signature covers the blake2b-256 digest of it (Ed25519
directly, ECDSA over SHA-256 of it):

- a personal message: ``intent [3, 0, 0] || ULEB128(len(message)) || message``
  (the BCS ``vector<u8>`` of the message); wallets send the signature in base64;
- a transaction: ``intent [0, 0, 0] || the BCS TransactionData bytes``.

The intent is what keeps a message a user signed from passing for a transaction.
The signer is ``0x`` + hex(blake2b-256(flag || public key)).

Rules, in the order they are applied, so each input gets one stable code:

1. Personal messages only: the string must be strict, canonical base64: padded,
   no whitespace, nothing outside the standard alphabet, and it must re-encode to
   exactly itself. Otherwise, or when it decodes to nothing:
   ``malformed_signature``. (The SDK's ``atob`` is laxer; wallets emit canonical
   base64, so nothing honest is lost.) Raw bytes that are empty: the same.
2. The first byte is the flag. A flag other than 0x00 Ed25519, 0x01 Secp256k1,
   0x02 Secp256r1 (multisig 0x03, zkLogin 0x05, passkey 0x06, unknown) is
   ``unsupported_signature_scheme``, whatever the length after it.
3. A supported flag with any other total length than 97 (Ed25519) or 98 (ECDSA)
   bytes, a lone flag byte and truncated strings included: ``malformed_signature``.
4. ECDSA only, before any curve work: r or s equal to 0 or not below the curve
   order is not an encoding of a signature at all: ``malformed_signature``; a high
   S (s > n/2, the malleable twin of a valid signature) is
   ``non_canonical_signature``.
5. A public key that is not a valid point, or a signature that does not verify
   over this message: ``invalid_signature``.

The verifier returns the signer's address in lower case; comparing it with the
address expected (the challenge's, the operator's) is the caller's job.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from adapters.sui.encoding import uleb128
from adapters.sui.schemes import CURVES, SIGNATURE_LENGTH, KeyScheme
from application.ports import SignatureRejected

__all__ = [
    "PERSONAL_MESSAGE_INTENT",
    "TRANSACTION_INTENT",
    "SuiSignatureVerifier",
    "intent_digest",
    "personal_intent_message",
    "personal_message_digest",
    "signer_of_intent_message",
    "sui_address",
    "transaction_intent_message",
    "transaction_signer",
    "uleb128",
]

PERSONAL_MESSAGE_INTENT = b"\x03\x00\x00"
"""Intent scope PersonalMessage, version 0, app Sui: what keeps a message from passing for a transaction."""
TRANSACTION_INTENT = b"\x00\x00\x00"
"""Intent scope TransactionData, version 0, app Sui."""

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def intent_digest(intent_message: bytes) -> bytes:
    """blake2b-256 of an intent message: the 32 bytes a Sui key actually signs."""
    return hashlib.blake2b(intent_message, digest_size=32).digest()


def personal_intent_message(message: bytes) -> bytes:
    """``intent [3, 0, 0] || bcs vector<u8>(message)``."""
    return PERSONAL_MESSAGE_INTENT + uleb128(len(message)) + message


def personal_message_digest(message: bytes) -> bytes:
    """What a wallet's key signs for ``signPersonalMessage(message)``."""
    return intent_digest(personal_intent_message(message))


def transaction_intent_message(tx_bytes: bytes) -> bytes:
    """``intent [0, 0, 0] || TransactionData bytes``: the transaction's bytes are already BCS, no length prefix."""
    return TRANSACTION_INTENT + tx_bytes


def sui_address(flag: int, public_key: bytes) -> str:
    """``0x`` + 64 lower-case hex digits of blake2b-256(flag || public key): the account the key controls."""
    hasher = hashlib.blake2b(flag.to_bytes(1, "big"), digest_size=32)
    hasher.update(public_key)
    return "0x" + hasher.hexdigest()


def _verify_ed25519(signature: bytes, public_key: bytes, digest: bytes) -> None:
    try:
        VerifyKey(public_key).verify(digest, signature)
    except BadSignatureError:
        raise SignatureRejected("invalid_signature", "the Ed25519 signature does not match this message and key") from None


def _ecdsa_verifier(curve: ec.EllipticCurve, order: int) -> Callable[[bytes, bytes, bytes], None]:
    """An ECDSA check for one curve that refuses out-of-range and high-S signatures before any curve work."""
    half_order = order >> 1

    def verify(signature: bytes, public_key: bytes, digest: bytes) -> None:
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        if not (0 < r < order and 0 < s < order):
            raise SignatureRejected("malformed_signature", f"{curve.name} r and s must lie in [1, n - 1]")
        if s > half_order:
            raise SignatureRejected("non_canonical_signature", f"{curve.name} signature has a high S; wallets sign with low S")
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(curve, public_key)
        except ValueError:
            raise SignatureRejected("invalid_signature", f"the public key is not a {curve.name} point") from None
        try:
            # ECDSA(SHA256) hashes the digest once more, as Sui does for both curves.
            key.verify(encode_dss_signature(r, s), digest, _ECDSA_SHA256)
        except InvalidSignature:
            raise SignatureRejected(
                "invalid_signature", f"the {curve.name} signature does not match this message and key"
            ) from None

    return verify


@dataclass(frozen=True, slots=True)
class _Scheme:
    length: int  # flag + signature + public key
    verify: Callable[[bytes, bytes, bytes], None]


_SCHEMES: dict[int, _Scheme] = {
    KeyScheme.ED25519.flag: _Scheme(1 + SIGNATURE_LENGTH + KeyScheme.ED25519.public_key_length, _verify_ed25519),
    **{
        scheme.flag: _Scheme(1 + SIGNATURE_LENGTH + scheme.public_key_length, _ecdsa_verifier(curve, order))
        for scheme, (curve, order) in CURVES.items()
    },
}


def signer_of_intent_message(serialized: bytes, intent_message: bytes) -> str:
    """The address whose key made ``serialized`` (flag ‖ signature ‖ public key) over ``intent_message``;
    SignatureRejected with the code of the first rule (2 to 5 above) it breaks."""
    if not serialized:
        raise SignatureRejected("malformed_signature", "the signature is empty")
    flag = serialized[0]
    scheme = _SCHEMES.get(flag)
    if scheme is None:
        raise SignatureRejected("unsupported_signature_scheme", f"signature scheme flag 0x{flag:02x} is not accepted")
    if len(serialized) != scheme.length:
        raise SignatureRejected(
            "malformed_signature", f"flag 0x{flag:02x} needs {scheme.length} bytes, got {len(serialized)}"
        )
    public_key = bytes(serialized[1 + SIGNATURE_LENGTH :])
    scheme.verify(bytes(serialized[1 : 1 + SIGNATURE_LENGTH]), public_key, intent_digest(intent_message))
    return sui_address(flag, public_key)


def transaction_signer(tx_bytes: bytes, serialized: bytes) -> str:
    """The address that signed these transaction bytes, as a validator would check it."""
    return signer_of_intent_message(serialized, transaction_intent_message(tx_bytes))


def _decode_strict(serialized: str) -> bytes:
    """The bytes of canonical base64 only: anything a second encoder could spell differently is refused."""
    try:
        raw = base64.b64decode(serialized, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        raise SignatureRejected("malformed_signature", "the signature is not strict base64") from None
    if not raw:
        raise SignatureRejected("malformed_signature", "the signature is empty")
    if base64.b64encode(raw) != serialized.encode("ascii"):
        raise SignatureRejected("malformed_signature", "the signature is not canonical base64")
    return raw


class SuiSignatureVerifier:
    """PersonalMessageVerifier for single-key Sui wallets: Ed25519, Secp256k1, Secp256r1; see the module rules."""

    def signer_of(self, message: bytes, serialized_signature: str) -> str:
        return signer_of_intent_message(_decode_strict(serialized_signature), personal_intent_message(message))
