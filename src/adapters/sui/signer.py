"""A Sui Ed25519 wallet that signs personal messages, for tools that act as users (``peoplecoin demo``).

It makes what a browser wallet's ``signPersonalMessage`` makes, byte for byte:
the signed digest is blake2b-256 of ``intent [3, 0, 0] || BCS vector<u8>``
of the message (ULEB128 length, then the bytes), the one
``adapters.sui.signatures`` checks; the answer is base64 ``0x00 || signature
|| public key``. Ed25519 is deterministic, so one seed and one message give
one signature. The private key is also written as Sui wallets import it
(``suiprivkey1…``, bech32 of ``0x00 || seed``), written by the same code as the
operator's key (``adapters.sui.keys``).

PyNaCl only; the tests check it against pysui, an implementation that is
not ours.
"""

from __future__ import annotations

import base64

from nacl.signing import SigningKey

from adapters.sui.keys import encode_private_key
from adapters.sui.schemes import KeyScheme
from adapters.sui.signatures import personal_message_digest, sui_address

ED25519_FLAG = KeyScheme.ED25519.flag
SEED_LENGTH = 32


class Ed25519Wallet:
    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_LENGTH:
            raise ValueError(f"an Ed25519 seed is {SEED_LENGTH} bytes, not {len(seed)}")
        self.seed = bytes(seed)
        self._key = SigningKey(self.seed)
        self.public_key = bytes(self._key.verify_key)
        self.address = sui_address(ED25519_FLAG, self.public_key)

    @classmethod
    def generate(cls) -> Ed25519Wallet:
        return cls(bytes(SigningKey.generate()))

    @property
    def private_key(self) -> str:
        """The key as Sui wallets and ``sui keytool import`` take it: ``suiprivkey1…``."""
        return encode_private_key(KeyScheme.ED25519, self.seed)

    def sign_personal_message(self, message: bytes) -> str:
        signature = self._key.sign(personal_message_digest(message)).signature
        return base64.b64encode(bytes([ED25519_FLAG]) + signature + self.public_key).decode("ascii")

