"""A creator token. Its id is derived from its symbol, so a symbol is listed once: a second listing
writes version 1 of the same stream and the event store refuses it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.money import MAX_PRICE, MAX_QUANTITY
from domain.shared.symbols import RESERVED_SYMBOLS, SYMBOL, TOKEN_NAME_MAX
from domain.shared.text import check_text
from domain.token.errors import InvalidSymbol, InvalidTokenParameters, SymbolTaken
from domain.token.events import TokenListed

TOKEN_NAMESPACE = UUID("9b1f6c3a-2e4d-4f8b-a7c5-1d3e5f7a9b20")
DEFAULT_DECIMALS = 6
DEFAULT_TICK = 100  # 0.0001 USD
NAME_MAX = TOKEN_NAME_MAX
MAX_SUPPLY = MAX_QUANTITY


def normalise_symbol(text: str) -> str:
    check_text(text, "symbol")
    symbol = text.strip().upper()
    if not SYMBOL.fullmatch(symbol):
        raise InvalidSymbol("a symbol is 2 to 10 letters and digits, starting with a letter")
    if symbol in RESERVED_SYMBOLS:
        raise InvalidSymbol(f"{symbol} is reserved")
    return symbol


def check_listing(total_supply: int, initial_price: int, parameters: MarketParameters) -> None:
    """The amounts of a listing, on its market's steps."""
    parameters.check()
    if not 0 < total_supply <= MAX_SUPPLY or total_supply % parameters.lot_size:
        raise InvalidTokenParameters("the supply is more than zero, at most 10^14 base units, and whole lots")
    if not 0 <= initial_price <= MAX_PRICE or initial_price % parameters.tick_size:
        raise InvalidTokenParameters("the initial price is a multiple of the tick size, at most 10,000 USD")


def token_id_for(symbol: str) -> UUID:
    return uuid5(TOKEN_NAMESPACE, symbol)


def listing_stream(token_id: UUID) -> UUID:
    """The token's own stream; the token id itself names its market's order book stream."""
    return uuid5(token_id, "listing")


@dataclass(frozen=True, slots=True)
class MarketParameters:
    decimals: int
    tick_size: int
    lot_size: int
    min_size: int

    @property
    def scale(self) -> int:
        return 10**self.decimals

    def check(self) -> None:
        if not 0 <= self.decimals <= 9:
            raise InvalidTokenParameters("decimals are 0 to 9")
        if self.tick_size <= 0 or self.lot_size <= 0 or self.min_size <= 0:
            raise InvalidTokenParameters("tick, lot and min size are more than zero")
        if self.tick_size > MAX_PRICE or self.lot_size > MAX_QUANTITY or self.min_size > MAX_QUANTITY:
            raise InvalidTokenParameters("the tick size is at most the highest price, lot and min size at most the largest supply")
        if self.min_size % self.lot_size:
            raise InvalidTokenParameters("the min size is a whole number of lots")
        if self.tick_size * self.lot_size % self.scale:
            raise InvalidTokenParameters(
                "tick size × lot size must be a whole number of micro-USD, so every notional is exact"
            )


def default_parameters(decimals: int = DEFAULT_DECIMALS) -> MarketParameters:
    lot = max(10**decimals // 100, 1)  # 0.01 token
    tick = max(DEFAULT_TICK, 10**decimals // lot)
    return MarketParameters(decimals, tick, lot, lot)


class Token(Aggregate):
    """Stream ``listing_stream(token_id)``."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.listing: TokenListed | None = None

    def list(
        self,
        *,
        token_id: UUID,
        symbol: str,
        name: str,
        creator_id: UUID,
        creator_address: str,
        total_supply: int,
        initial_price: int,
        parameters: MarketParameters,
        at: datetime,
    ) -> TokenListed:
        if self.listing is not None:
            raise SymbolTaken(f"{symbol} is listed already")
        check_text(name, "name")  # before split(), which would quietly drop \x1c-\x1f and \x85 as whitespace
        clean_name = " ".join(unicodedata.normalize("NFC", name).split())
        if not clean_name or len(clean_name) > NAME_MAX or any(unicodedata.category(c).startswith("C") for c in clean_name):
            raise InvalidTokenParameters(f"a token name has 1 to {NAME_MAX} printable characters")
        check_listing(total_supply, initial_price, parameters)
        self._record(
            TokenListed(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                token_id=token_id,
                symbol=symbol,
                name=clean_name,
                creator_id=creator_id,
                creator_address=creator_address,
                decimals=parameters.decimals,
                total_supply=total_supply,
                initial_price=initial_price,
                tick_size=parameters.tick_size,
                lot_size=parameters.lot_size,
                min_size=parameters.min_size,
            )
        )
        assert self.listing is not None
        return self.listing

    def _apply(self, event: DomainEvent) -> None:
        if isinstance(event, TokenListed):
            self.listing = event
