"""Transfers and withdrawals (PORTFOLIO.md): what the API resolves before the engine decides.

The engine decides on balances (application.trading.exchange); here the
asset a request names, the recipient a transfer names (a user who signed in
with that address) and the network fee a withdrawal pays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from uuid import UUID

from application.ports import Chain, EventStore, IdGenerator
from application.trading.commands import CancelWithdrawal, MakeTransfer, RequestWithdrawal
from application.trading.exchange import Done
from application.trading.service import EngineClient
from domain.account.errors import AssetNotFound, AssetNotWithdrawable, RecipientNotFound
from domain.identity.errors import InvalidWalletAddress
from domain.identity.user import user_id_for, wallet_address
from domain.shared.money import USD, USD_DECIMALS
from domain.token.errors import TokenNotFound
from domain.token.events import TokenListed

ANY_TOKEN = "*"


@dataclass(frozen=True, slots=True)
class Asset:
    key: str  # how the ledger names it: "USD" or the token id
    symbol: str
    decimals: int


@dataclass(frozen=True, slots=True)
class NetworkFees:
    """A flat fee per asset, in the asset's own units as a decimal (``PEOPLECOIN_WITHDRAWAL_FEES``): USD, a
    token by its symbol, and ``*`` for every token not named."""

    fees: dict[str, Decimal]

    def of(self, asset: Asset) -> int:
        """In the asset's smallest units, rounded up (a fee finer than the asset's step costs one step)."""
        fee = self.fees.get(asset.symbol, self.fees.get(ANY_TOKEN, Decimal(0)) if asset.key != USD else Decimal(0))
        return int((fee * 10**asset.decimals).to_integral_value(ROUND_CEILING))


class MoneyMovement:
    def __init__(self, engine: EngineClient, store: EventStore, fees: NetworkFees, ids: IdGenerator, chain: Chain) -> None:
        self._engine, self._store, self._fees, self._ids, self._chain = engine, store, fees, ids, chain

    async def asset(self, ref: str) -> Asset:
        """``USD``, or a token the engine trades by symbol or id; 404 ``asset_not_found`` otherwise."""
        if ref.strip().upper() == USD:
            return Asset(USD, USD, USD_DECIMALS)
        try:
            token = await self._engine.token(ref)
        except TokenNotFound:
            raise AssetNotFound(f"no asset {ref!r}") from None
        return Asset(str(token.token_id), token.symbol, token.decimals)

    async def listed(self) -> Mapping[UUID, TokenListed]:
        return await self._engine.listed()

    def network_fee(self, asset: Asset) -> int:
        return self._fees.of(asset)

    async def transfer(
        self, *, sender: UUID, sender_address: str, to_address: str, asset: Asset, amount: int, key: str = ""
    ) -> Done:
        try:
            address = wallet_address(to_address, "to_address")
        except InvalidWalletAddress:
            raise RecipientNotFound("no user has that address") from None
        recipient = user_id_for(address)
        if not await self._store.read_stream(recipient):  # the user's stream starts when they first sign in
            raise RecipientNotFound("no user has that address")
        return await self._engine.handle(MakeTransfer(
            transfer_id=self._ids(), sender=sender, recipient=recipient, asset=asset.key, amount=amount,
            from_address=sender_address, to_address=address, key=key,
        ))

    async def withdraw(self, *, owner: UUID, to_address: str, asset: Asset, amount: int, key: str = "") -> Done:
        address = wallet_address(to_address, "to_address")  # 422 invalid_address
        if not self._chain.can_pay(asset.key):
            raise AssetNotWithdrawable(f"{asset.symbol} cannot be withdrawn: the chain has no vault for it")
        return await self._engine.handle(RequestWithdrawal(
            withdrawal_id=self._ids(), owner=owner, asset=asset.key, amount=amount,
            network_fee=self.network_fee(asset), to_address=address, key=key,
        ))

    async def cancel_withdrawal(self, owner: UUID, withdrawal_id: UUID) -> Done:
        return await self._engine.handle(CancelWithdrawal(owner, withdrawal_id))
