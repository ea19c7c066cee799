"""The local ledger: a stand-in chain for one machine. A deposit is whatever an admin records.

Its digests look like Sui's (32 bytes, base58 in Sui; hex here, prefixed
``local:`` so nobody mistakes one for a real transaction), and are derived
from the deposit's reference, so a repeated reference names the same one.
"""

from __future__ import annotations

import hashlib


class LocalLedgerChain:
    is_local = True

    def deposit_digest(self, reference: str) -> str:
        return "local:" + hashlib.blake2b(reference.encode(), digest_size=32).hexdigest()
