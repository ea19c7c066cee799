"""What the local ledger decides about a submission, without its database: the validator's rules.

Kept apart from the SQL (``adapters.chain.local``) so each rule reads on its own:
who may sign, which bytes are a batch, which gas coin pays, what the vaults must
hold, and how objects change version and digest deterministically.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping

from adapters.sui.deployment import Deployment
from adapters.sui.encoding import digest_text
from adapters.sui.signatures import transaction_signer
from adapters.sui.transactions import MalformedTransaction, ParsedBatch, parse_batch_transaction
from application.ports import ObjectRef, SignatureRejected, SignedTransaction

REFERENCE_GAS_PRICE = 1_000  # MIST per gas unit
GAS_BUDGET = 50_000_000  # MIST: 0.05 SUI, far above what a batch costs


class Refused(Exception):
    """A submission the ledger will not execute at all; the message is the failed effects' error, ``code: why``."""


def authorized_batch(tx: SignedTransaction, operator: str, deployment: Deployment) -> ParsedBatch:
    """The batch the bytes hold, when the operator signed them and they are exactly a batch it sends."""
    try:
        signer = transaction_signer(tx.tx_bytes, tx.signature)
    except SignatureRejected as rejected:
        raise Refused(f"invalid_signature: {rejected.code}: {rejected.message}") from None
    if signer != operator:
        raise Refused(f"wrong_signer: signed by {signer}, not the operator {operator}")
    try:
        batch = parse_batch_transaction(tx.tx_bytes, deployment)
    except MalformedTransaction as malformed:
        raise Refused(f"malformed_transaction: {malformed}") from None
    if batch.sender != signer:
        raise Refused(f"wrong_sender: the sender {batch.sender} did not sign")
    return batch


def check_gas(batch: ParsedBatch, coin: ObjectRef) -> None:
    """The payment is the operator's gas coin at its current version (an older one is spent: stale)."""
    if batch.gas_payment != (coin,):
        raise Refused(f"stale_gas: the gas payment is not the operator's gas coin {coin}")
    if batch.gas_price < REFERENCE_GAS_PRICE:
        raise Refused(f"gas_price_too_low: {batch.gas_price} is under the reference {REFERENCE_GAS_PRICE}")


def owed(batch: ParsedBatch) -> Counter[str]:
    """What the batch takes from each asset's vault."""
    total: Counter[str] = Counter()
    for payout in batch.payouts:
        total[payout.asset] += payout.amount
    return total


def shortfall(owing: Mapping[str, int], balances: Mapping[str, int]) -> str:
    """The failed effects' error when a vault cannot pay its share; empty when every one can (all or nothing)."""
    for asset, amount in owing.items():
        if balances[asset] < amount:
            return f"insufficient_vault_balance: the {asset} vault holds {balances[asset]}, the batch pays {amount}"
    return ""


def deposit_digest(reference: str) -> str:
    """``local:`` + hex: never mistaken for a Sui digest, the same for the same reference."""
    return "local:" + hashlib.blake2b(reference.encode(), digest_size=32).hexdigest()


def first_gas_coin(owner: str) -> ObjectRef:
    """The operator's gas coin as the ledger first hands it out: an id derived from the owner, version 1."""
    object_id = "0x" + hashlib.blake2b(f"peoplecoin local ledger gas coin:{owner}".encode(), digest_size=32).hexdigest()
    return ObjectRef(object_id, 1, _object_digest(object_id, 1, "genesis"))


def next_gas_coin(coin: ObjectRef, tx_digest: str) -> ObjectRef:
    """The gas coin after a transaction it paid for: one version on, a digest that depends on that transaction."""
    return ObjectRef(coin.object_id, coin.version + 1, _object_digest(coin.object_id, coin.version + 1, tx_digest))


def _object_digest(object_id: str, version: int, cause: str) -> str:
    return digest_text(hashlib.blake2b(f"{object_id}:{version}:{cause}".encode(), digest_size=32).digest())
