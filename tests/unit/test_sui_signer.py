"""Ed25519Wallet signs as Sui wallets do: our verifier accepts it, and it is byte-identical to pysui and to the
real @mysten/sui SDK's vectors for the same key (Ed25519 is deterministic)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from pysui.sui.sui_crypto import keypair_from_keystring

from adapters.sui.signatures import SuiSignatureVerifier
from adapters.sui.signer import Ed25519Wallet
from application.ports import SignatureRejected
from tests.vectors import sui_personal_message

SEED = bytes(range(32))
MESSAGE = b"PeopleCoin document signature\nDocument: Creator agreement\nKind: creator_agreement\nVersion: 1"


def pysui_signature(seed: bytes, message: bytes) -> str:
    keypair = keypair_from_keystring(base64.b64encode(b"\x00" + seed).decode())
    return keypair.sign_personal_message(base64.b64encode(message).decode())


def ed25519_vectors() -> list[dict[str, object]]:
    return [v for v in sui_personal_message()["valid"] if v["scheme"] == "ED25519" and "secret_key_hex" in v]


@pytest.mark.parametrize("message", [b"", MESSAGE, bytes(range(256)) * 3])
def test_our_verifier_names_the_wallet_as_the_signer(message: bytes) -> None:
    wallet = Ed25519Wallet(SEED)
    assert SuiSignatureVerifier().signer_of(message, wallet.sign_personal_message(message)) == wallet.address


# No NUL byte: pysui (1.5) drops zero bytes from the message it length-prefixes, so it signs something else for
# them; the SDK's vectors below cover what pysui cannot.
@pytest.mark.parametrize("message", [b"", b"x", MESSAGE, "é\n".encode() * 100, bytes(range(1, 256)) * 3])
def test_the_signature_is_byte_identical_to_pysuis_for_the_same_seed(message: bytes) -> None:
    wallet = Ed25519Wallet(SEED)
    assert wallet.sign_personal_message(message) == pysui_signature(SEED, message)


def test_the_address_is_pysuis_address_for_the_same_seed() -> None:
    keypair = keypair_from_keystring(base64.b64encode(b"\x00" + SEED).decode())
    assert Ed25519Wallet(SEED).address == "0x" + hashlib.blake2b(keypair.public_key.scheme_and_key(), digest_size=32).hexdigest()


@pytest.mark.parametrize("vector", ed25519_vectors(), ids=lambda v: str(v["id"]))
def test_address_signature_and_exported_key_equal_the_sui_sdks(vector: dict[str, str]) -> None:
    wallet = Ed25519Wallet(bytes.fromhex(vector["secret_key_hex"]))
    assert wallet.address == vector["address"]
    assert wallet.sign_personal_message(vector["message"].encode()) == vector["signature"]
    assert wallet.private_key == vector["secret_key_bech32"]


def test_the_exported_private_key_is_what_pysui_reads_back() -> None:
    wallet = Ed25519Wallet.generate()
    keypair = keypair_from_keystring(base64.b64encode(b"\x00" + wallet.seed).decode())
    assert wallet.private_key == keypair.to_bech32()


def test_a_changed_message_is_refused() -> None:
    wallet = Ed25519Wallet(SEED)
    with pytest.raises(SignatureRejected) as refused:
        SuiSignatureVerifier().signer_of(MESSAGE + b" ", wallet.sign_personal_message(MESSAGE))
    assert refused.value.code == "invalid_signature"


def test_another_key_with_the_same_signature_is_refused() -> None:
    raw = bytearray(base64.b64decode(Ed25519Wallet(SEED).sign_personal_message(MESSAGE)))
    raw[65:] = Ed25519Wallet(bytes(32)).public_key
    with pytest.raises(SignatureRejected) as refused:
        SuiSignatureVerifier().signer_of(MESSAGE, base64.b64encode(bytes(raw)).decode())
    assert refused.value.code == "invalid_signature"


def test_another_seed_signs_for_another_address() -> None:
    mine, theirs = Ed25519Wallet(SEED), Ed25519Wallet.generate()
    assert SuiSignatureVerifier().signer_of(MESSAGE, theirs.sign_personal_message(MESSAGE)) != mine.address


def test_a_seed_is_32_bytes() -> None:
    with pytest.raises(ValueError):
        Ed25519Wallet(b"\x01" * 31)
