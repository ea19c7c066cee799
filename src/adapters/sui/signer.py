"""A Sui Ed25519 wallet that signs personal messages, for tools that act as users (``peoplecoin demo``).

It makes what a browser wallet's ``signPersonalMessage`` makes, byte for byte:
the signed digest is blake2b-256 of ``intent [3, 0, 0] || BCS vector<u8>``
of the message (ULEB128 length, then the bytes), the one
``adapters.sui.signatures`` checks; the answer is base64 ``0x00 || signature
|| public key``. Ed25519 is deterministic, so one seed and one message give
one signature. The private key is also written as Sui wallets import it
(``suiprivkey1…``, bech32 of ``0x00 || seed``).

PyNaCl only: pysui is a test dependency, used there to check this against
an implementation that is not ours.
"""

from __future__ import annotations

import base64

from nacl.signing import SigningKey

from adapters.sui.signatures import personal_message_digest, sui_address

ED25519_FLAG = 0x00
SEED_LENGTH = 32
PRIVATE_KEY_PREFIX = "suiprivkey"


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
        return _bech32(PRIVATE_KEY_PREFIX, bytes([ED25519_FLAG]) + self.seed)

    def sign_personal_message(self, message: bytes) -> str:
        signature = self._key.sign(personal_message_digest(message)).signature
        return base64.b64encode(bytes([ED25519_FLAG]) + signature + self.public_key).decode("ascii")


# ----- bech32 (BIP-173), the encoding of Sui's exported private keys -----

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            checksum ^= generator if (top >> i) & 1 else 0
    return checksum


def _bech32(prefix: str, data: bytes) -> str:
    words: list[int] = []
    accumulator = bits = 0
    for byte in data:  # 8-bit bytes to 5-bit words, the last padded with zeros
        accumulator, bits = accumulator << 8 | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append(accumulator >> bits & 31)
    if bits:
        words.append(accumulator << (5 - bits) & 31)
    expanded = [ord(c) >> 5 for c in prefix] + [0] + [ord(c) & 31 for c in prefix]
    polymod = _polymod(expanded + words + [0] * 6) ^ 1
    checksum = [polymod >> 5 * (5 - i) & 31 for i in range(6)]
    return prefix + "1" + "".join(_CHARSET[w] for w in words + checksum)
