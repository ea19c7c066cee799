"""The local ledger: a stand-in chain for one machine. A deposit is whatever an admin records.

Its digests look like Sui's (32 bytes, base58 in Sui; hex here, prefixed
``local:`` so nobody mistakes one for a real transaction).
"""

from __future__ import annotations

import hashlib
import secrets


class LocalLedgerChain:
    is_local = True

    async def record_deposit(self, address: str, asset: str, amount: int) -> str:
        salt = secrets.token_bytes(16)
        return "local:" + hashlib.blake2b(f"{address}:{asset}:{amount}".encode() + salt, digest_size=32).hexdigest()
