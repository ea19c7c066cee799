"""Events of tokens. Never rename or move these classes: their path is the stored topic."""

from dataclasses import dataclass
from uuid import UUID

from domain.shared.aggregate import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenListed(DomainEvent):
    """On the token's listing stream; ``token_id`` is the token's (and its market's) id."""

    token_id: UUID
    symbol: str
    name: str
    creator_id: UUID
    creator_address: str
    decimals: int
    total_supply: int  # base units
    initial_price: int  # micro-USD per whole token; 0 when none was given
    tick_size: int
    lot_size: int
    min_size: int
