"""bech32 (BIP-173), the text form of Sui's exported private keys (``suiprivkey1…``).

Decoding is strict, since what it reads is a secret typed into configuration: one
case throughout, only the 32-letter alphabet, the checksum of bech32 (not
bech32m), at most 90 characters, and padding bits that are zero. Anything else is
a ValueError; a mistyped key never becomes another valid key.
"""

from __future__ import annotations

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_VALUES = {c: i for i, c in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONSTANT = 1
_MAX_LENGTH = 90
_CHECKSUM_LENGTH = 6


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            checksum ^= generator if (top >> i) & 1 else 0
    return checksum


def _expand(prefix: str) -> list[int]:
    return [ord(c) >> 5 for c in prefix] + [0] + [ord(c) & 31 for c in prefix]


def _to_words(data: bytes) -> list[int]:
    """8-bit bytes to 5-bit words, the last padded with zero bits."""
    words: list[int] = []
    accumulator = bits = 0
    for byte in data:
        accumulator, bits = accumulator << 8 | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append(accumulator >> bits & 31)
    if bits:
        words.append(accumulator << (5 - bits) & 31)
    return words


def _from_words(words: list[int]) -> bytes:
    out = bytearray()
    accumulator = bits = 0
    for word in words:
        accumulator, bits = (accumulator << 5 | word) & 0xFFF, bits + 5
        if bits >= 8:
            bits -= 8
            out.append(accumulator >> bits & 0xFF)
    if bits >= 5 or accumulator & ((1 << bits) - 1):
        raise ValueError("bech32 data has more than 4 padding bits, or padding bits that are not zero")
    return bytes(out)


def encode(prefix: str, data: bytes) -> str:
    words = _to_words(data)
    polymod = _polymod(_expand(prefix) + words + [0] * _CHECKSUM_LENGTH) ^ _BECH32_CONSTANT
    checksum = [polymod >> 5 * (5 - i) & 31 for i in range(_CHECKSUM_LENGTH)]
    return prefix + "1" + "".join(_CHARSET[w] for w in words + checksum)


def decode(text: str) -> tuple[str, bytes]:
    """The prefix (lower case) and the bytes of a bech32 string; ValueError for anything else."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("bech32 text is ASCII")
    if len(text) > _MAX_LENGTH:
        raise ValueError(f"bech32 text is at most {_MAX_LENGTH} characters")
    if text.lower() != text and text.upper() != text:
        raise ValueError("bech32 text is all lower case or all upper case")
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or len(text) - separator - 1 < _CHECKSUM_LENGTH:
        raise ValueError("bech32 text is a prefix, '1', then data and a 6-character checksum")
    prefix, data = text[:separator], text[separator + 1 :]
    if any(not 33 <= ord(c) <= 126 for c in prefix):
        raise ValueError("a bech32 prefix is printable ASCII")
    if any(c not in _VALUES for c in data):
        raise ValueError("bech32 data has a character outside its alphabet")
    words = [_VALUES[c] for c in data]
    if _polymod(_expand(prefix) + words) != _BECH32_CONSTANT:
        raise ValueError("bech32 checksum does not match")
    return prefix, _from_words(words[:-_CHECKSUM_LENGTH])
