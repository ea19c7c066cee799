"""The operator's key: the one account that signs and pays for every settlement transaction.

Read from ``PEOPLECOIN_SUI_OPERATOR_KEY`` as Sui's wallets and ``sui keytool``
export it, ``suiprivkey1…``: bech32 of ``flag || 32-byte secret`` (0x00 Ed25519
seed, 0x01 Secp256k1 or 0x02 Secp256r1 scalar). It signs a transaction the way
a wallet's ``signTransaction`` does: over blake2b-256(intent [0, 0, 0] ||
TransactionData bytes), Ed25519 on that digest, ECDSA on SHA-256 of it with a
deterministic nonce (RFC 6979) and a low S (the verifier refuses a high one).
The answer is Sui's serialized signature, ``flag || signature || public key``.

The secret never leaves the object except through ``private_key``; ``repr``
shows the address only, so a log line cannot leak it.
"""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.signing import SigningKey

from adapters.sui import bech32
from adapters.sui.schemes import CURVES, KeyScheme
from adapters.sui.signatures import intent_digest, sui_address, transaction_intent_message

PRIVATE_KEY_PREFIX = "suiprivkey"
SECRET_LENGTH = 32

_DETERMINISTIC_ECDSA = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


def encode_private_key(scheme: KeyScheme, secret: bytes) -> str:
    """``suiprivkey1…``: what Sui wallets import and export."""
    return bech32.encode(PRIVATE_KEY_PREFIX, bytes([scheme.flag]) + secret)


def decode_private_key(text: str) -> tuple[KeyScheme, bytes]:
    """The scheme and secret of a ``suiprivkey1…`` string; ValueError for anything else (the message never
    repeats the text: it is a secret)."""
    try:
        prefix, payload = bech32.decode(text)
    except ValueError as error:
        raise ValueError(f"not a Sui private key: {error}") from None
    if prefix != PRIVATE_KEY_PREFIX:
        raise ValueError(f"a Sui private key starts with {PRIVATE_KEY_PREFIX}1")
    if len(payload) != 1 + SECRET_LENGTH:
        raise ValueError(f"a Sui private key holds a flag and {SECRET_LENGTH} bytes, not {len(payload)} bytes")
    scheme = KeyScheme.of_flag(payload[0])
    if scheme is None:
        raise ValueError(f"a Sui private key's flag is 0x00, 0x01 or 0x02, not 0x{payload[0]:02x}")
    return scheme, payload[1:]


class OperatorKey:
    def __init__(self, scheme: KeyScheme | str, secret: bytes) -> None:
        self.scheme = KeyScheme(str(scheme).lower())
        if len(secret) != SECRET_LENGTH:
            raise ValueError(f"a {self.scheme} secret is {SECRET_LENGTH} bytes, not {len(secret)}")
        self._secret = bytes(secret)
        if self.scheme is KeyScheme.ED25519:
            self._ed25519 = SigningKey(self._secret)
            self.public_key = bytes(self._ed25519.verify_key)
        else:
            curve, order = CURVES[self.scheme]
            scalar = int.from_bytes(self._secret, "big")
            if not 0 < scalar < order:
                raise ValueError(f"a {self.scheme} secret is a number in [1, n - 1]")
            self._ecdsa = ec.derive_private_key(scalar, curve)
            self._order = order
            self.public_key = self._ecdsa.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        self.address = sui_address(self.scheme.flag, self.public_key)

    @classmethod
    def parse(cls, text: str) -> OperatorKey:
        """The key a ``suiprivkey1…`` string holds; ValueError for anything that is not exactly one."""
        scheme, secret = decode_private_key(text)
        return cls(scheme, secret)

    @classmethod
    def generate(cls, scheme: KeyScheme | str = KeyScheme.ED25519) -> OperatorKey:
        scheme = KeyScheme(str(scheme).lower())
        if scheme is KeyScheme.ED25519:
            return cls(scheme, secrets.token_bytes(SECRET_LENGTH))
        _, order = CURVES[scheme]
        return cls(scheme, (1 + secrets.randbelow(order - 1)).to_bytes(SECRET_LENGTH, "big"))

    @property
    def private_key(self) -> str:
        return encode_private_key(self.scheme, self._secret)

    def sign_transaction(self, tx_bytes: bytes) -> bytes:
        """Sui's serialized signature of these TransactionData bytes: flag ‖ signature (64) ‖ public key."""
        digest = intent_digest(transaction_intent_message(tx_bytes))
        return bytes([self.scheme.flag]) + self._sign(digest) + self.public_key

    def _sign(self, digest: bytes) -> bytes:
        if self.scheme is KeyScheme.ED25519:
            return self._ed25519.sign(digest).signature
        r, s = decode_dss_signature(self._ecdsa.sign(digest, _DETERMINISTIC_ECDSA))
        if s > self._order >> 1:
            s = self._order - s  # the low-S twin: the same signature in the only form Sui accepts
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self) -> str:
        return f"OperatorKey({self.scheme}, {self.address})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OperatorKey) and (self.scheme, self._secret) == (other.scheme, other._secret)

    def __hash__(self) -> int:
        return hash((self.scheme, self.address))
