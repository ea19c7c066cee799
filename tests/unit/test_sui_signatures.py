"""SuiSignatureVerifier against the @mysten/sui vectors in shared/ and against pysui as an independent signer."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pysui_fastcrypto as pfc
import pytest
from canoser import BytesT
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from pysui.sui.sui_crypto import SuiKeyPair, keypair_from_keystring

from adapters.sui.signatures import (
    PERSONAL_MESSAGE_INTENT,
    SuiSignatureVerifier,
    personal_message_digest,
    sui_address,
    uleb128,
)
from application.ports import SignatureRejected
from tests.vectors import SUI_PERSONAL_MESSAGE

VECTORS_PATH = SUI_PERSONAL_MESSAGE

# Written out here rather than imported, so a typo in the adapter's constants cannot hide.
CURVE_ORDER = {
    1: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,  # secp256k1
    2: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,  # secp256r1
}
CURVE = {1: ec.SECP256K1(), 2: ec.SECP256R1()}
SERIALIZED_LENGTH = {0: 97, 1: 98, 2: 98}
CODES = {"malformed_signature", "unsupported_signature_scheme", "non_canonical_signature", "invalid_signature"}
SERVICE_STAGES = {"nonce", "expiry", "message"}


def _load_vectors() -> dict[str, Any]:
    if not VECTORS_PATH.is_file():
        pytest.fail(
            f"Sui signature vectors missing at {VECTORS_PATH} (a copy of shared/vectors/sui_personal_message.json); "
            "these tests never skip.",
            pytrace=False,
        )
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


VECTORS = _load_vectors()
VALID = VECTORS["valid"]
ECDSA_VALID = [v for v in VALID if v["flag"] in CURVE_ORDER]
INVALID = VECTORS["invalid"]
POLICY = {p["id"]: p for p in VECTORS["policy_dependent"]}
verifier = SuiSignatureVerifier()


def by_stage(*stages: str) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in INVALID if v["reject_stage"] in stages]


def by_id(entries: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in entries]


def rejection(message: str, signature: str) -> str:
    with pytest.raises(SignatureRejected) as caught:
        verifier.signer_of(message.encode(), signature)
    assert caught.value.code in CODES
    return caught.value.code


def with_signature(entry: dict[str, Any], s: int | None = None, r: int | None = None, key: bytes | None = None) -> str:
    """The entry's serialized signature with r, s or the public key replaced."""
    raw = base64.b64decode(entry["signature"])
    r_bytes = raw[1:33] if r is None else r.to_bytes(32, "big")
    s_bytes = raw[33:65] if s is None else s.to_bytes(32, "big")
    return base64.b64encode(raw[:1] + r_bytes + s_bytes + (raw[65:] if key is None else key)).decode()


def s_of(entry: dict[str, Any]) -> int:
    return int.from_bytes(base64.b64decode(entry["signature"])[33:65], "big")


# --- the vectors file itself -------------------------------------------------------------------------------------


def test_the_vectors_cover_every_scheme_and_only_known_reject_stages():
    assert {v["flag"] for v in VALID} == {0, 1, 2}
    assert {v["reject_stage"] for v in INVALID} <= {"decode", "scheme", "signature", "address"} | SERVICE_STAGES


# --- valid signatures ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", by_id(VALID))
def test_a_valid_signature_yields_the_signers_address(entry):
    assert verifier.signer_of(entry["message"].encode(), entry["signature"]) == entry["address"]


@pytest.mark.parametrize("entry", by_id(VALID))
def test_the_signed_bytes_digest_and_address_are_those_of_the_sdk(entry):
    message = entry["message"].encode()
    assert len(message) == entry["message_length_bytes"]
    assert PERSONAL_MESSAGE_INTENT.hex() == entry["intent_hex"]
    assert uleb128(len(message)).hex() == entry["uleb128_length_prefix_hex"]
    if "intent_message_hex" in entry:  # left out of the 16 KiB edge entry
        assert (PERSONAL_MESSAGE_INTENT + uleb128(len(message)) + message).hex() == entry["intent_message_hex"]
    digest = personal_message_digest(message)
    assert digest.hex() == entry["digest_blake2b256_hex"]
    if "ecdsa_signed_hash_sha256_of_digest_hex" in entry:
        assert hashlib.sha256(digest).hexdigest() == entry["ecdsa_signed_hash_sha256_of_digest_hex"]
    raw = base64.b64decode(entry["signature"], validate=True)
    public_key = raw[65:]
    if "sui_public_key_hex" in entry:  # the crypto-only edge entries carry no key fields
        assert raw[:1] + public_key == bytes.fromhex(entry["sui_public_key_hex"])
        assert raw[1:65].hex() == entry["raw_signature_hex"]
    assert sui_address(entry["flag"], public_key) == entry["address"]


@pytest.mark.parametrize(("length", "prefix"), [(0, "00"), (127, "7f"), (128, "8001"), (336, "d002"), (16384, "808001")])
def test_the_length_prefix_is_uleb128(length, prefix):
    assert uleb128(length).hex() == prefix


# --- the invalid vectors, by the stage that must reject them -----------------------------------------------------


@pytest.mark.parametrize("entry", by_stage("decode"))
def test_a_signature_that_is_not_strict_base64_is_malformed(entry):
    assert rejection(entry["check"]["message"], entry["check"]["signature"]) == "malformed_signature"


@pytest.mark.parametrize("entry", by_stage("scheme"))
def test_an_unknown_flag_is_unsupported_and_a_known_flag_of_the_wrong_length_is_malformed(entry):
    raw = base64.b64decode(entry["check"]["signature"], validate=True)
    expected = "malformed_signature" if raw[0] in SERIALIZED_LENGTH else "unsupported_signature_scheme"
    assert rejection(entry["check"]["message"], entry["check"]["signature"]) == expected


@pytest.mark.parametrize("entry", by_stage("signature"))
def test_a_signature_that_does_not_verify_is_refused(entry):
    raw = base64.b64decode(entry["check"]["signature"], validate=True)
    # A relabelled flag that changes the length is caught by the length; everything else by verification.
    expected = "malformed_signature" if len(raw) != SERIALIZED_LENGTH[raw[0]] else "invalid_signature"
    assert rejection(entry["check"]["message"], entry["check"]["signature"]) == expected


@pytest.mark.parametrize("entry", by_stage("address"))
def test_a_valid_signature_by_another_key_yields_an_address_other_than_the_claimed_one(entry):
    signer = verifier.signer_of(entry["check"]["message"].encode(), entry["check"]["signature"])
    assert signer != entry["check"]["address"]
    assert signer == entry.get("signer_address", signer)


@pytest.mark.parametrize("entry", by_stage(*SERVICE_STAGES))
def test_the_verifier_accepts_or_refuses_as_crypto_valid_says_where_the_sign_in_service_decides(entry):
    check = entry["check"]
    if entry["crypto_valid"]:
        assert verifier.signer_of(check["message"].encode(), check["signature"]) == check["address"]
    else:
        rejection(check["message"], check["signature"])


# --- our policy where the SDK and strict decoding differ ---------------------------------------------------------


def test_unpadded_base64_is_malformed():
    check = POLICY["policy-base64-without-padding"]["check"]
    assert rejection(check["message"], check["signature"]) == "malformed_signature"


def test_base64_with_an_embedded_newline_is_malformed():
    check = POLICY["policy-base64-with-embedded-newline"]["check"]
    assert rejection(check["message"], check["signature"]) == "malformed_signature"


def test_an_upper_case_claimed_address_gets_the_lower_case_address_back():
    check = POLICY["policy-address-uppercase-hex"]["check"]
    signer = verifier.signer_of(check["message"].encode(), check["signature"])
    assert signer == check["address"].lower()
    assert signer != check["address"]  # the sign-in service lower-cases the claim before comparing


def test_a_multisig_signature_is_an_unsupported_scheme():
    check = POLICY["policy-multisig-1-of-2-valid"]["check"]
    assert rejection(check["message"], check["signature"]) == "unsupported_signature_scheme"


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda s: s[:-3] + "B==", id="stray-trailing-bits"),
        pytest.param(lambda s: " " + s, id="leading-space"),
        pytest.param(lambda s: s + "\n", id="trailing-newline"),
        pytest.param(lambda s: s.replace("+", "-").replace("/", "_"), id="url-safe-alphabet"),
        pytest.param(lambda s: "==", id="padding-only"),
    ],
)
def test_base64_that_a_second_encoder_would_spell_differently_is_malformed(mangle):
    entry = VALID[0]  # Ed25519: 97 bytes, so its base64 ends in "A==" with four spare zero bits
    assert entry["signature"].endswith("A==") and ("+" in entry["signature"] or "/" in entry["signature"])
    assert rejection(entry["message"], mangle(entry["signature"])) == "malformed_signature"


# --- ECDSA malleability and ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", by_id(ECDSA_VALID))
def test_the_high_s_twin_of_a_valid_ecdsa_signature_is_non_canonical(entry):
    s = s_of(entry)
    assert s <= CURVE_ORDER[entry["flag"]] // 2
    assert verifier.signer_of(entry["message"].encode(), entry["signature"]) == entry["address"]
    twin = with_signature(entry, s=CURVE_ORDER[entry["flag"]] - s)
    assert rejection(entry["message"], twin) == "non_canonical_signature"


@pytest.mark.parametrize("entry", by_id(ECDSA_VALID))
@pytest.mark.parametrize("part", ["r", "s"])
@pytest.mark.parametrize("value", ["zero", "order", "all-ones"])
def test_an_ecdsa_scalar_outside_one_to_n_minus_one_is_malformed(entry, part, value):
    scalar = {"zero": 0, "order": CURVE_ORDER[entry["flag"]], "all-ones": 2**256 - 1}[value]
    assert rejection(entry["message"], with_signature(entry, **{part: scalar})) == "malformed_signature"


def _x_off_the_curve(flag: int) -> bytes:
    """The smallest x with no point above it on this curve, found by the cryptography package itself."""
    for x in range(1, 1000):
        candidate = b"\x02" + x.to_bytes(32, "big")
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(CURVE[flag], candidate)
        except ValueError:
            return candidate
    raise AssertionError("every small x was on the curve")


@pytest.mark.parametrize("entry", by_id(ECDSA_VALID))
@pytest.mark.parametrize("bad_key", ["x-off-the-curve", "uncompressed-prefix"])
def test_an_ecdsa_public_key_that_is_not_a_point_is_an_invalid_signature(entry, bad_key):
    key = _x_off_the_curve(entry["flag"]) if bad_key == "x-off-the-curve" else b"\x04" + bytes(32)
    assert rejection(entry["message"], with_signature(entry, key=key)) == "invalid_signature"


def test_a_small_order_ed25519_key_is_an_invalid_signature():
    entry = VALID[0]
    identity = b"\x01" + bytes(31)
    raw = base64.b64decode(entry["signature"])
    forged = base64.b64encode(raw[:65] + identity).decode()
    assert rejection(entry["message"], forged) == "invalid_signature"


# --- pysui as an independent signer --------------------------------------------------------------------------------


def test_pysui_signs_the_vectors_byte_for_byte_like_the_typescript_sdk():
    for entry in (v for v in VALID if "secret_key_hex" in v):
        keystring = base64.b64encode(bytes([entry["flag"]]) + bytes.fromhex(entry["secret_key_hex"])).decode()
        keypair = keypair_from_keystring(keystring)
        message_b64 = base64.b64encode(entry["message"].encode()).decode()
        assert keypair.sign_personal_message(message_b64) == entry["signature"], entry["id"]


def fresh_keypair(flag: int, secret: int) -> SuiKeyPair:
    return keypair_from_keystring(base64.b64encode(bytes([flag]) + secret.to_bytes(32, "big")).decode())


def address_of(keypair: SuiKeyPair) -> str:
    return "0x" + hashlib.blake2b(keypair.public_key.scheme_and_key(), digest_size=32).hexdigest()


def secrets_for(flag: int) -> st.SearchStrategy[int]:
    return st.integers(1, CURVE_ORDER.get(flag, 2**256) - 1)


SCHEMES = pytest.mark.parametrize("flag", [0, 1, 2], ids=["ed25519", "secp256k1", "secp256r1"])
FEW_DETERMINISTIC = settings(derandomize=True, max_examples=30, deadline=None)


# pysui 1.5's sign_personal_message BCS-encodes the message byte by byte as "minimal" ints, so each
# 0x00 byte is dropped from the signed bytes (the length prefix stays): it signs something else.
# Text without U+0000 never has a 0x00 byte in UTF-8; the next test covers NUL bytes.
@SCHEMES
@FEW_DETERMINISTIC
@given(data=st.data(), text=st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=300))
def test_a_fresh_pysui_key_signing_any_text_is_recognised_as_its_own_address(flag, data, text):
    keypair = fresh_keypair(flag, data.draw(secrets_for(flag), label="secret"))
    message = text.encode()
    signature = keypair.sign_personal_message(base64.b64encode(message).decode())
    assert verifier.signer_of(message, signature) == address_of(keypair)


@SCHEMES
@FEW_DETERMINISTIC
@given(data=st.data(), message=st.binary(max_size=600))
def test_a_fresh_key_signing_any_bytes_through_pysuis_signer_is_recognised_as_its_own_address(flag, data, message):
    """pysui's fastcrypto signer over the personal-message intent, with canoser (not our code) doing the BCS."""
    keypair = fresh_keypair(flag, data.draw(secrets_for(flag), label="secret"))
    bcs_message = base64.b64encode(BytesT().encode(message)).decode()
    serialized = pfc.sign_digest(flag, keypair.private_key.key_bytes, bcs_message, [3, 0, 0])
    assert verifier.signer_of(message, base64.b64encode(bytes(serialized)).decode()) == address_of(keypair)
