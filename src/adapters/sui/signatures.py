"""Sui personal-message signatures, checked offline exactly as the Sui SDK checks them.

The wallet sends base64 ``flag || signature || public key``; the signed bytes are
``intent [3, 0, 0] || ULEB128(len(message)) || message`` and the signature covers
their blake2b-256 digest (Ed25519 directly, ECDSA over SHA-256 of it). The signer
is ``0x`` + hex(blake2b-256(flag || public key)).

Rules, in the order they are applied, so each input gets one stable code:

1. The string must be strict, canonical base64: padded, no whitespace, nothing
   outside the standard alphabet, and it must re-encode to exactly itself.
   Otherwise, or when it decodes to nothing: ``malformed_signature``. (The SDK's
   ``atob`` is laxer; wallets emit canonical base64, so nothing honest is lost.)
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
address the challenge was issued to is the caller's job.
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

from application.ports import SignatureRejected

PERSONAL_MESSAGE_INTENT = b"\x03\x00\x00"
"""Intent scope PersonalMessage, version 0, app Sui: what keeps a message from passing for a transaction."""

_SIGNATURE_LENGTH = 64
_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_SECP256R1_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

# Seeded once; each call copies the state instead of hashing the prefix again.
_INTENT_HASHER = hashlib.blake2b(PERSONAL_MESSAGE_INTENT, digest_size=32)
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def uleb128(n: int) -> bytes:
    """BCS length prefix: 7 bits a byte, least significant first, high bit = more follows."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def personal_message_digest(message: bytes) -> bytes:
    """blake2b-256 of ``intent || bcs(message)``: the 32 bytes a wallet's key actually signs."""
    hasher = _INTENT_HASHER.copy()
    hasher.update(uleb128(len(message)))
    hasher.update(message)
    return hasher.digest()


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
    0x00: _Scheme(1 + _SIGNATURE_LENGTH + 32, _verify_ed25519),
    0x01: _Scheme(1 + _SIGNATURE_LENGTH + 33, _ecdsa_verifier(ec.SECP256K1(), _SECP256K1_ORDER)),
    0x02: _Scheme(1 + _SIGNATURE_LENGTH + 33, _ecdsa_verifier(ec.SECP256R1(), _SECP256R1_ORDER)),
}


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
        raw = _decode_strict(serialized_signature)
        flag = raw[0]
        scheme = _SCHEMES.get(flag)
        if scheme is None:
            raise SignatureRejected("unsupported_signature_scheme", f"signature scheme flag 0x{flag:02x} is not accepted")
        if len(raw) != scheme.length:
            raise SignatureRejected(
                "malformed_signature", f"flag 0x{flag:02x} needs {scheme.length} bytes, got {len(raw)}"
            )
        public_key = raw[1 + _SIGNATURE_LENGTH :]
        scheme.verify(raw[1 : 1 + _SIGNATURE_LENGTH], public_key, personal_message_digest(message))
        return sui_address(flag, public_key)
