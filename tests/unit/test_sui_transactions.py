"""The operator key, the batch transaction's bytes and the shared signature verifier, offline.

pysui is the independent party: its fastcrypto signer must make the very same
signature from the same key over the same bytes (Ed25519 is deterministic; our
ECDSA uses RFC 6979 nonces and low S, as fastcrypto and the Sui SDK do), its BCS
types read our pure arguments back, and the SDK's own key vectors name the same
addresses. The real SDK reads the transactions in
tests/contract/test_sui_sdk_transactions.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from uuid import UUID

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysui.sui.sui_bcs import bcs
from pysui.sui.sui_crypto import SuiKeyPair

from adapters.sui import bech32
from adapters.sui.deployment import UnknownAsset, VaultConfig
from adapters.sui.encoding import address, byte_vector, u64, uleb128
from adapters.sui.keys import OperatorKey
from adapters.sui.signatures import sui_address, transaction_signer
from adapters.sui.signer import Ed25519Wallet
from adapters.sui.transactions import (
    MAX_PAYOUTS,
    Deployment,
    MalformedTransaction,
    build_batch_transaction,
    parse_batch_transaction,
    transaction_digest,
)
from application.ports import BatchContent, ObjectRef, Payout, SignatureRejected
from tests.vectors import sui_personal_message

SCHEMES = ["ed25519", "secp256k1", "secp256r1"]
FLAGS = {"ed25519": 0, "secp256k1": 1, "secp256r1": 2}
EMPTY_ROOT = hashlib.sha256(b"").digest()
TOKEN_A = "0b5c61d4-6f0e-4f64-9a4c-64b3a1f1a001"
TOKEN_B = "7d0e9b7a-2f51-4b8e-8a33-0c1f4b2e9b02"
ALICE, BOB, CAROL = ("0x" + c * 64 for c in "abc")
SENDER = "0x" + "5e" * 32
GAS = ObjectRef("0x" + "9a" * 32, 42, base58.b58encode(bytes(range(32))).decode())
LOCAL = Deployment.local()
CONTENT = BatchContent(
    sequence=7,
    trades_root=hashlib.sha256(b"root").digest(),
    trade_count=3,
    payouts=(Payout("USD", 1_500_000, ALICE), Payout(TOKEN_A, 25, BOB), Payout("USD", 7, CAROL), Payout(TOKEN_B, 1, ALICE)),
)
FEW = settings(derandomize=True, max_examples=200, deadline=None)


def batch(content: BatchContent = CONTENT, deployment: Deployment = LOCAL) -> bytes:
    return build_batch_transaction(content, deployment, SENDER, [GAS], 1_000, 50_000_000)


def vector_keys() -> list[dict[str, str]]:
    return [v for v in sui_personal_message()["valid"] if "secret_key_bech32" in v]


def key_of(scheme: str) -> OperatorKey:
    """A fixed key per scheme, so failures reproduce."""
    return OperatorKey(scheme, hashlib.sha256(scheme.encode()).digest())


def edited(tx_bytes: bytes, change) -> bytes:
    """The bytes after ``change`` edits pysui's decoded TransactionData in place."""
    data = bcs.TransactionData.deserialize(tx_bytes)
    change(data.value)
    return bytes(data.serialize())


# ----- the operator key -----


@pytest.mark.parametrize("vector", vector_keys(), ids=lambda v: str(v["id"]))
def test_a_key_exported_by_the_sui_sdk_has_the_sdks_address_and_public_key_and_exports_back_the_same(vector):
    key = OperatorKey.parse(vector["secret_key_bech32"])
    assert key.scheme == vector["scheme"].lower()
    assert key.public_key.hex() == vector["public_key_hex"]
    assert key.address == vector["address"]
    assert key.private_key == vector["secret_key_bech32"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_generated_key_round_trips_through_its_private_key_and_pysui_reads_the_same_key(scheme):
    key = OperatorKey.generate(scheme)
    again = OperatorKey.parse(key.private_key)
    assert again == key and again.address == key.address and again.public_key == key.public_key
    assert len(key.public_key) == (32 if scheme == "ed25519" else 33)
    assert key.address == sui_address(FLAGS[scheme], key.public_key)
    theirs = SuiKeyPair.from_bech32(key.private_key)
    assert theirs.to_bech32() == key.private_key
    assert "0x" + hashlib.blake2b(theirs.public_key.scheme_and_key(), digest_size=32).hexdigest() == key.address


def test_two_generated_keys_differ_and_a_key_shows_no_secret():
    one, two = OperatorKey.generate("ed25519"), OperatorKey.generate("ed25519")
    assert one.address != two.address
    assert one.private_key not in repr(one) and one.address in repr(one)


def valid_key_text() -> str:
    return key_of("secp256k1").private_key


def flip_data_char(text: str, at: int) -> str:
    chars = list(text)
    chars[at] = "q" if chars[at] != "q" else "p"
    return "".join(chars)


def bech32m(prefix: str, data: bytes) -> str:
    """The same data under bech32m's checksum constant, which Sui keys do not use."""
    words = bech32._to_words(data)
    polymod = bech32._polymod(bech32._expand(prefix) + words + [0] * 6) ^ 0x2BC830A3
    return prefix + "1" + "".join(bech32._CHARSET[w] for w in words + [polymod >> 5 * (5 - i) & 31 for i in range(6)])


HOSTILE_KEYS = {
    "empty": "",
    "not text": None,
    "a checksum character changed": flip_data_char(valid_key_text(), -1),
    "a data character changed": flip_data_char(valid_key_text(), 20),
    "mixed case": valid_key_text()[:15] + valid_key_text()[15:].upper(),
    "another prefix": bech32.encode("suipubkey", b"\x00" + bytes(32)),
    "no separator": valid_key_text().replace("1", "", 1),
    "too short a payload": bech32.encode("suiprivkey", b"\x00" + bytes(31)),
    "too long a payload": bech32.encode("suiprivkey", b"\x00" + bytes(33)),
    "only a flag": bech32.encode("suiprivkey", b"\x00"),
    "the multisig flag": bech32.encode("suiprivkey", b"\x03" + bytes(32)),
    "the zklogin flag": bech32.encode("suiprivkey", b"\x05" + bytes(32)),
    "an unknown flag": bech32.encode("suiprivkey", b"\xff" + bytes(32)),
    "bech32m": bech32m("suiprivkey", b"\x00" + bytes(32)),
    "a character outside the alphabet": valid_key_text()[:-7] + "b" + valid_key_text()[-6:],
    "non-ascii": valid_key_text()[:-1] + "é",
    "longer than bech32 allows": bech32.encode("suiprivkey", b"\x00" + bytes(60)),
    "a secp256k1 secret of zero": bech32.encode("suiprivkey", b"\x01" + bytes(32)),
    "a secp256r1 secret above the order": bech32.encode("suiprivkey", b"\x02" + b"\xff" * 32),
    "the base64 keystring form": base64.b64encode(b"\x00" + bytes(32)).decode(),
    "surrounding whitespace": " " + valid_key_text(),
}


@pytest.mark.parametrize("text", HOSTILE_KEYS.values(), ids=HOSTILE_KEYS.keys())
def test_a_string_that_is_not_exactly_a_sui_private_key_is_refused_without_echoing_it(text):
    with pytest.raises(ValueError) as refused:
        OperatorKey.parse(text)
    if isinstance(text, str) and len(text) > 20:
        assert text not in str(refused.value)


def test_nonzero_padding_bits_are_refused():
    # 33 bytes are 264 bits: 53 words carry 265, so one padding bit; set it and fix the checksum.
    words = bech32._to_words(b"\x00" + bytes(32))
    words[-1] |= 1
    polymod = bech32._polymod(bech32._expand("suiprivkey") + words + [0] * 6) ^ 1
    text = "suiprivkey1" + "".join(bech32._CHARSET[w] for w in words + [polymod >> 5 * (5 - i) & 31 for i in range(6)])
    with pytest.raises(ValueError):
        OperatorKey.parse(text)


def test_an_upper_case_key_is_the_same_key():
    text = valid_key_text()
    assert OperatorKey.parse(text.upper()) == OperatorKey.parse(text)


def test_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError):
        OperatorKey.generate("bls12381")


# ----- signing a transaction -----


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_signature_is_byte_identical_to_pysuis_for_the_same_key_and_bytes(scheme):
    key, tx = key_of(scheme), batch()
    ours = key.sign_transaction(tx)
    theirs = SuiKeyPair.from_bech32(key.private_key).new_sign_secure(base64.b64encode(tx).decode())
    assert base64.b64encode(ours).decode() == theirs
    assert ours[0] == FLAGS[scheme] and ours[65:] == key.public_key


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_shared_verifier_names_the_key_that_signed_the_transaction(scheme):
    key, tx = key_of(scheme), batch()
    assert transaction_signer(tx, key.sign_transaction(tx)) == key.address


@pytest.mark.parametrize("scheme", SCHEMES)
def test_any_changed_byte_of_the_transaction_fails_the_signature(scheme):
    key, tx = key_of(scheme), batch(BatchContent(1, EMPTY_ROOT, 0, (Payout("USD", 1, ALICE),)))
    signature = key.sign_transaction(tx)
    for i in range(len(tx)):
        changed = bytearray(tx)
        changed[i] ^= 0x01
        with pytest.raises(SignatureRejected):
            transaction_signer(bytes(changed), signature)
    with pytest.raises(SignatureRejected):
        transaction_signer(tx + b"\x00", signature)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_any_changed_bit_of_the_signature_fails_it(scheme):
    key, tx = key_of(scheme), batch()
    signature = key.sign_transaction(tx)
    for i in range(len(signature)):
        for bit in (0x01, 0x80):
            changed = bytearray(signature)
            changed[i] ^= bit
            with pytest.raises(SignatureRejected):
                transaction_signer(tx, bytes(changed))


def test_a_personal_message_signature_over_the_same_bytes_is_no_transaction_signature():
    wallet = Ed25519Wallet(bytes(range(32)))
    tx = batch()
    as_message = base64.b64decode(wallet.sign_personal_message(tx))
    with pytest.raises(SignatureRejected) as refused:
        transaction_signer(tx, as_message)
    assert refused.value.code == "invalid_signature"


def test_a_signature_by_another_key_names_another_address():
    tx = batch()
    assert transaction_signer(tx, key_of("secp256r1").sign_transaction(tx)) != key_of("ed25519").address


# ----- pure arguments -----


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0000000000000000"), (1, "0100000000000000"), (0x0102030405060708, "0807060504030201"), (2**64 - 1, "ff" * 8)],
)
def test_a_u64_is_eight_bytes_little_endian(value, expected):
    assert u64(value).hex() == expected


@pytest.mark.parametrize("value", [-1, 2**64, True, 1.0, "1", None])
def test_a_u64_refuses_what_it_cannot_hold(value):
    with pytest.raises(ValueError):
        u64(value)


@pytest.mark.parametrize(("length", "prefix"), [(0, "00"), (32, "20"), (127, "7f"), (128, "8001"), (300, "ac02"), (16384, "808001")])
def test_a_byte_vector_is_its_uleb128_length_then_its_bytes(length, prefix):
    data = bytes(range(256)) * (length // 256) + bytes(range(length % 256))
    assert byte_vector(data) == bytes.fromhex(prefix) + data
    assert uleb128(length).hex() == prefix


def test_an_address_is_its_32_bytes_and_nothing_else_is_one():
    assert address("0x" + "Ab" * 32) == bytes([0xAB] * 32)
    for wrong in ["ab" * 32, "0x" + "ab" * 31, "0x" + "ab" * 33, "0x" + "zz" * 32, "0x2", None]:
        with pytest.raises(ValueError):
            address(wrong)


def test_the_inputs_are_the_pure_bytes_and_each_vault_is_one_mutable_shared_input():
    program = bcs.TransactionData.deserialize(batch()).value.TransactionKind.value
    inputs = [(i.enum_name, bytes(i.value) if i.enum_name == "Pure" else i.value.value) for i in program.Inputs]
    assert [bytes(v) for k, v in inputs[:3]] == [u64(7), byte_vector(CONTENT.trades_root), u64(3)]
    pure = [v for k, v in inputs if k == "Pure"]
    assert pure[3:] == [u64(1_500_000), address(ALICE), u64(25), address(BOB), u64(7), address(CAROL), u64(1), address(ALICE)]
    shared = [v for k, v in inputs if k == "Object"]
    assert [address_of(s.ObjectID) for s in shared] == [LOCAL.vault(a).object_id for a in ("USD", TOKEN_A, TOKEN_B)]
    assert all(s.Mutable is True and s.SequenceNumber == 1 for s in shared)
    calls = [c.value for c in program.Command]
    assert [(c.Module, c.Function) for c in calls] == [("settlement", "record_batch")] + [("vault", "withdraw")] * 4
    assert {address_of(c.Package) for c in calls} == {LOCAL.package}
    assert [c.Arguments[0].value for c in calls[1:]] == [3, 6, 3, 11]  # USD's vault, A's, USD's again, B's


def address_of(value: bcs.Address) -> str:
    return "0x" + bytes(value.Address).hex()


# ----- build and parse -----

CONTENTS = {
    "no trades, no payouts": BatchContent(1, EMPTY_ROOT, 0, ()),
    "one payout": BatchContent(2, EMPTY_ROOT, 0, (Payout(TOKEN_A, 2**64 - 1, CAROL),)),
    "several across assets": CONTENT,
    "many trades, largest numbers": BatchContent(2**64 - 1, b"\xff" * 32, 2**64 - 1, (Payout("USD", 1, ALICE),) * 5),
}


@pytest.mark.parametrize("content", CONTENTS.values(), ids=CONTENTS.keys())
def test_a_built_batch_parses_back_to_what_was_built(content):
    tx = batch(content)
    parsed = parse_batch_transaction(tx, LOCAL)
    assert parsed.content == content
    assert (parsed.sender, parsed.gas_payment, parsed.gas_price, parsed.gas_budget) == (SENDER, (GAS,), 1_000, 50_000_000)
    assert (parsed.sequence, parsed.trades_root, parsed.trade_count, parsed.payouts) == (
        content.sequence, content.trades_root, content.trade_count, content.payouts,
    )


def test_the_same_content_builds_the_same_bytes_and_the_digest_is_suis():
    tx = batch()
    assert batch() == tx
    expected = base58.b58encode(hashlib.blake2b(b"TransactionData::" + tx, digest_size=32).digest()).decode()
    assert transaction_digest(tx) == expected
    assert transaction_digest(batch(CONTENTS["one payout"])) != expected


def test_the_most_payouts_a_batch_takes_fit_in_a_sui_transaction():
    tokens = [str(UUID(int=i + 1)) for i in range(MAX_PAYOUTS)]
    content = BatchContent(1, EMPTY_ROOT, 10_000, tuple(Payout(t, 2**63, ALICE) for t in tokens))
    tx = batch(content)
    assert len(tx) < 128 * 1024
    assert parse_batch_transaction(tx, LOCAL).content == content


BAD_CONTENTS = {
    "a short root": BatchContent(1, b"\x00" * 31, 0, ()),
    "an unknown asset": BatchContent(1, EMPTY_ROOT, 0, (Payout("EUR", 1, ALICE),)),
    "a token id not in its standard form": BatchContent(1, EMPTY_ROOT, 0, (Payout(TOKEN_A.upper(), 1, ALICE),)),
    "a zero payout": BatchContent(1, EMPTY_ROOT, 0, (Payout("USD", 0, ALICE),)),
    "a payout beyond u64": BatchContent(1, EMPTY_ROOT, 0, (Payout("USD", 2**64, ALICE),)),
    "a bad recipient": BatchContent(1, EMPTY_ROOT, 0, (Payout("USD", 1, "0x1234"),)),
    "a negative sequence": BatchContent(-1, EMPTY_ROOT, 0, ()),
    "too many payouts": BatchContent(1, EMPTY_ROOT, 0, (Payout("USD", 1, ALICE),) * (MAX_PAYOUTS + 1)),
}


@pytest.mark.parametrize("content", BAD_CONTENTS.values(), ids=BAD_CONTENTS.keys())
def test_a_content_that_cannot_be_a_batch_is_not_built(content):
    with pytest.raises(ValueError):
        batch(content)


def test_a_batch_needs_a_gas_coin_and_a_valid_one():
    with pytest.raises(ValueError):
        build_batch_transaction(CONTENT, LOCAL, SENDER, [], 1_000, 1)
    with pytest.raises(ValueError):
        build_batch_transaction(CONTENT, LOCAL, SENDER, [ObjectRef(GAS.object_id, 1, "not-base58-0OIl")], 1_000, 1)
    with pytest.raises(ValueError):
        build_batch_transaction(CONTENT, LOCAL, "0xnope", [GAS], 1_000, 1)


def test_every_truncation_of_a_batch_is_malformed():
    tx = batch()
    for end in range(len(tx)):
        with pytest.raises(MalformedTransaction):
            parse_batch_transaction(tx[:end], LOCAL)


@pytest.mark.parametrize("extra", [b"\x00", b"\x01", bytes(32)])
def test_trailing_bytes_are_malformed(extra):
    with pytest.raises(MalformedTransaction):
        parse_batch_transaction(batch() + extra, LOCAL)


def test_a_flipped_byte_in_any_package_id_is_malformed():
    tx = batch()
    package = bytes.fromhex(LOCAL.package[2:])
    places = [m.start() for m in re.finditer(re.escape(package), tx)]
    assert len(places) == 5 + 4  # five calls, four coin types
    for place in places:
        for offset in (0, 31):
            changed = bytearray(tx)
            changed[place + offset] ^= 0x01
            with pytest.raises(MalformedTransaction):
                parse_batch_transaction(bytes(changed), LOCAL)


@FEW
@given(garbage=st.binary(max_size=600))
def test_random_bytes_are_malformed(garbage):
    with pytest.raises(MalformedTransaction):
        parse_batch_transaction(garbage, LOCAL)


@FEW
@given(garbage=st.binary(min_size=1, max_size=600))
def test_random_bytes_after_a_valid_start_are_malformed(garbage):
    with pytest.raises(MalformedTransaction):
        parse_batch_transaction(b"\x00\x00" + garbage, LOCAL)


@FEW
@given(data=st.data())
def test_any_single_changed_byte_is_malformed_or_still_exactly_a_batch(data):
    """A changed byte either breaks the shape or is a value that another batch has (an amount, a recipient):
    then it parses to exactly that batch, never to something else."""
    tx = batch()
    at = data.draw(st.integers(0, len(tx) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != tx[at]))
    changed = tx[:at] + bytes([value]) + tx[at + 1 :]
    try:
        parsed = parse_batch_transaction(changed, LOCAL)
    except MalformedTransaction:
        return
    rebuilt = build_batch_transaction(parsed.content, LOCAL, parsed.sender, list(parsed.gas_payment), parsed.gas_price, parsed.gas_budget)
    assert rebuilt == changed


def call(data, index):
    return data.TransactionKind.value.Command[index].value


def set_attr(obj, name, value):
    setattr(obj, name, value)


HOSTILE_EDITS = {
    "another function": lambda d: set_attr(call(d, 0), "Function", "record_batches"),
    "another module": lambda d: set_attr(call(d, 1), "Module", "vaults"),
    "withdraw first": lambda d: d.TransactionKind.value.Command.reverse(),
    "record_batch twice": lambda d: d.TransactionKind.value.Command.append(d.TransactionKind.value.Command[0]),
    "no record_batch": lambda d: d.TransactionKind.value.Command.pop(0),
    "record_batch with two arguments": lambda d: call(d, 0).Arguments.pop(),
    "record_batch with a type argument": lambda d: call(d, 0).Type_Arguments.append(bcs.TypeTag("U64")),
    "withdraw without its type argument": lambda d: call(d, 1).Type_Arguments.pop(),
    "a gas coin argument": lambda d: call(d, 1).Arguments.__setitem__(1, bcs.Argument("GasCoin")),
    "a result argument": lambda d: call(d, 1).Arguments.__setitem__(1, bcs.Argument("Result", 0)),
    "an input out of range": lambda d: call(d, 1).Arguments.__setitem__(1, bcs.Argument("Input", 999)),
    "a seven-byte u64": lambda d: d.TransactionKind.value.Inputs.__setitem__(0, bcs.CallArg("Pure", [1] * 7)),
    "a 31-byte root": lambda d: d.TransactionKind.value.Inputs.__setitem__(1, bcs.CallArg("Pure", [31] + [1] * 31)),
    "a root without its length": lambda d: d.TransactionKind.value.Inputs.__setitem__(1, bcs.CallArg("Pure", [1] * 32)),
    "a 31-byte recipient": lambda d: d.TransactionKind.value.Inputs.__setitem__(5, bcs.CallArg("Pure", [1] * 31)),
    "an amount that is an object": lambda d: call(d, 1).Arguments.__setitem__(1, bcs.Argument("Input", 3)),
    "a vault that is a pure value": lambda d: call(d, 1).Arguments.__setitem__(0, bcs.Argument("Input", 4)),
    "an immutable vault": lambda d: set_attr(d.TransactionKind.value.Inputs[3].value.value, "Mutable", False),
    "a vault at another version": lambda d: set_attr(d.TransactionKind.value.Inputs[3].value.value, "SequenceNumber", 2),
    "an unused input": lambda d: d.TransactionKind.value.Inputs.append(bcs.CallArg("Pure", [0] * 8)),
    "an expiration": lambda d: set_attr(d, "TransactionExpiration", bcs.TransactionExpiration("Epoch", 5)),
    "a gas owner who is not the sender": lambda d: set_attr(d.GasData, "Owner", bcs.Address([1] * 32)),
    "a generic coin type": lambda d: call(d, 1).Type_Arguments[0].value.type_parameters.append(bcs.TypeTag("U8")),
    "a vector coin type": lambda d: call(d, 1).Type_Arguments.__setitem__(0, bcs.TypeTag("Vector", [bcs.TypeTag("U8")])),
    "an unknown coin type": lambda d: set_attr(call(d, 1).Type_Arguments[0].value, "name", "USDC"),
    "a token's coin type from USD's vault": lambda d: call(d, 1).Type_Arguments.__setitem__(0, call(d, 2).Type_Arguments[0]),
}


@pytest.mark.parametrize("edit", HOSTILE_EDITS.values(), ids=HOSTILE_EDITS.keys())
def test_a_transaction_that_is_not_exactly_a_batch_is_malformed(edit):
    changed = edited(batch(), edit)
    assert changed != batch()
    with pytest.raises(MalformedTransaction):
        parse_batch_transaction(changed, LOCAL)


def test_a_withdrawal_from_a_vault_that_is_not_that_assets_is_malformed():
    swapped = Deployment(
        LOCAL.package,
        {"USD": VaultConfig(LOCAL.vault(TOKEN_A).object_id, 1, LOCAL.vault("USD").coin_type)},
        derives_token_vaults=False,
    )
    tx = batch(BatchContent(1, EMPTY_ROOT, 0, (Payout("USD", 5, ALICE),)), swapped)
    with pytest.raises(MalformedTransaction):
        parse_batch_transaction(tx, LOCAL)


def test_a_batch_for_another_deployment_is_malformed():
    other = Deployment.parse(json.dumps({"package": "0x" + "77" * 32, "vaults": {"USD": usd_vault()}}))
    tx = batch(BatchContent(1, EMPTY_ROOT, 0, (Payout("USD", 5, ALICE),)), other)
    assert parse_batch_transaction(tx, other).payouts == (Payout("USD", 5, ALICE),)
    with pytest.raises(MalformedTransaction):
        parse_batch_transaction(tx, LOCAL)
    with pytest.raises(MalformedTransaction):
        parse_batch_transaction(batch(BatchContent(1, EMPTY_ROOT, 0, (Payout(TOKEN_A, 5, ALICE),))), other)


def test_another_kind_of_transaction_data_is_malformed():
    data = bcs.TransactionData.deserialize(batch())
    data.value.TransactionKind = bcs.TransactionKind("Genesis")
    with pytest.raises(MalformedTransaction):
        parse_batch_transaction(bytes(data.serialize()), LOCAL)


# ----- deployments -----


def usd_vault(**changes) -> dict:
    return {"object_id": "0x" + "01" * 32, "initial_shared_version": 9, "coin_type": "0x2::sui::SUI"} | changes


def test_the_local_deployment_derives_each_tokens_vault_and_coin_type_from_its_id_alone():
    a, b = LOCAL.vault(TOKEN_A), LOCAL.vault(TOKEN_B)
    assert a == Deployment.local().vault(TOKEN_A)
    assert len({a.object_id, b.object_id, LOCAL.vault("USD").object_id}) == 3
    assert a.coin_type == f"{LOCAL.package}::t_{UUID(TOKEN_A).hex}::T_{UUID(TOKEN_A).hex.upper()}"
    for asset in ("USD", TOKEN_A, TOKEN_B):
        assert LOCAL.asset_of(LOCAL.vault(asset).coin_type) == asset
        assert re.fullmatch(r"0x[0-9a-f]{64}::[a-z][a-z0-9_]*::[A-Z][A-Z0-9_]*", LOCAL.vault(asset).coin_type)
    assert LOCAL.asset_of(f"{LOCAL.package}::t_{'0' * 31}::T_{'0' * 31}") is None
    assert LOCAL.asset_of("0x2::sui::SUI") is None


@pytest.mark.parametrize("asset", ["EUR", "usd", TOKEN_A.upper(), TOKEN_A.replace("-", ""), ""])
def test_an_asset_with_no_vault_is_unknown(asset):
    with pytest.raises(UnknownAsset):
        LOCAL.vault(asset)


def test_a_configured_deployment_is_read_and_normalized():
    text = json.dumps({
        "package": "0x" + "AB" * 32,
        "vaults": {"usd": usd_vault(), TOKEN_A.upper(): usd_vault(object_id="0x" + "02" * 32, coin_type="0xC0FFEE::coin::COIN")},
    })
    deployment = Deployment.parse(text)
    assert deployment.package == "0x" + "ab" * 32
    assert set(deployment.vaults) == {"USD", TOKEN_A}
    assert deployment.vault("USD").coin_type == "0x" + "0" * 63 + "2::sui::SUI"
    assert deployment.vault(TOKEN_A).coin_type == "0x" + "0" * 58 + "c0ffee::coin::COIN"
    assert deployment.asset_of(deployment.vault(TOKEN_A).coin_type) == TOKEN_A
    with pytest.raises(UnknownAsset):
        deployment.vault(TOKEN_B)


BAD_DEPLOYMENTS = {
    "not JSON": "{",
    "a list": "[]",
    "no vaults": json.dumps({"package": "0x" + "ab" * 32}),
    "empty vaults": json.dumps({"package": "0x" + "ab" * 32, "vaults": {}}),
    "an extra key": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault()}, "net": "main"}),
    "a short package": json.dumps({"package": "0x2", "vaults": {"USD": usd_vault()}}),
    "an asset that is neither": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"EUR": usd_vault()}}),
    "USD twice": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(), "usd": usd_vault()}}),
    "a missing field": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": {"object_id": "0x" + "01" * 32}}}),
    "a version of zero": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(initial_shared_version=0)}}),
    "a version as text": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(initial_shared_version="9")}}),
    "a version as a bool": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(initial_shared_version=True)}}),
    "a generic coin type": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(coin_type="0x2::coin::Coin<0x2::sui::SUI>")}}),
    "a coin type with a bad identifier": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(coin_type="0x2::9sui::SUI")}}),
    "a coin type without its name": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(coin_type="0x2::sui")}}),
    "a bad object id": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(object_id="0x01")}}),
    "two assets in one vault": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(), TOKEN_A: usd_vault(coin_type="0x3::a::B")}}),
    "two assets of one coin type": json.dumps({"package": "0x" + "ab" * 32, "vaults": {"USD": usd_vault(), TOKEN_A: usd_vault(object_id="0x" + "02" * 32)}}),
}


@pytest.mark.parametrize("text", BAD_DEPLOYMENTS.values(), ids=BAD_DEPLOYMENTS.keys())
def test_a_bad_deployment_configuration_is_refused_with_a_value_error(text):
    with pytest.raises(ValueError):
        Deployment.parse(text)
