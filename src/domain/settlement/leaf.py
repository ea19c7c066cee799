"""A trade as a Merkle leaf (SETTLEMENT.md): the bytes both parties and anyone they show it to can recompute."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

U64 = 1 << 64
LEAF_LENGTH = 16 + 16 + 32 + 32 + 4 * 8


@dataclass(frozen=True, slots=True)
class TradeLeaf:
    trade_id: UUID
    token_id: UUID
    buyer: str  # 0x + 64 hex
    seller: str
    price: int  # micro-USD per whole token
    quantity: int  # base units
    buyer_fee: int  # micro-USD
    seller_fee: int

    def encode(self) -> bytes:
        """trade id ‖ token id (UUID bytes, big-endian) ‖ buyer ‖ seller (32 bytes each) ‖ price ‖ quantity ‖
        buyer fee ‖ seller fee (u64 little-endian)."""
        numbers = (self.price, self.quantity, self.buyer_fee, self.seller_fee)
        if any(not 0 <= n < U64 for n in numbers):
            raise ValueError("a leaf's numbers are u64")
        return (
            self.trade_id.bytes
            + self.token_id.bytes
            + address_bytes(self.buyer)
            + address_bytes(self.seller)
            + b"".join(n.to_bytes(8, "little") for n in numbers)
        )


def address_bytes(address: str) -> bytes:
    """A Sui address (``0x`` + 64 hex digits) as its 32 bytes."""
    if not address.startswith("0x") or len(address) != 66:
        raise ValueError(f"not a Sui address: {address!r}")
    return bytes.fromhex(address[2:])
