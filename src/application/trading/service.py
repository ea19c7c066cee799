"""Both ends of a trading command: the client an API process calls, the service the engine runs it with.

``EngineClient`` is what the HTTP controllers and handlers call, in every
process and in ``serve`` too: it builds a command, sends it through the
``CommandBus`` and answers the engine's ``Done``. What an answer needs
besides (a token's decimals) it reads from the committed market this process
follows, never from the engine's memory, so it works the same whether the
engine is in this process or on another machine.

``EngineService`` is the engine's side: one command, carried out on the
``Exchange``.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from application.live.follower import MarketFollower
from application.ports import CommandBus, EventStore, IdGenerator
from application.trading.commands import (
    CancelAll,
    CancelOrder,
    CancelWithdrawal,
    EngineCommand,
    ListToken,
    MakeTransfer,
    PlaceOrder,
    RecordDeposit,
    RequestWithdrawal,
)
from application.trading.exchange import Done, Exchange
from domain.orderbook.order import NewOrder
from domain.token.errors import TokenNotFound
from domain.token.events import TokenListed
from domain.token.token import MarketParameters


class EngineService:
    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    async def handle(self, command: EngineCommand) -> Done:
        """Carry one command out. Everything up to the command's first wait runs before this returns control,
        so commands started in order are decided in order."""
        exchange = self._exchange
        match command:
            case PlaceOrder():
                return await exchange.place(command.token_id, command.order)
            case CancelOrder():
                return await exchange.cancel(command.user_id, command.order_id)
            case CancelAll():
                return await exchange.cancel_all(command.user_id, command.token_id)
            case RecordDeposit():
                c = command
                return await exchange.deposit(c.owner, c.asset, c.amount, c.reference, c.address, c.digest)
            case MakeTransfer():
                c = command
                return await exchange.transfer(
                    transfer_id=c.transfer_id, sender=c.sender, recipient=c.recipient, asset=c.asset, amount=c.amount,
                    from_address=c.from_address, to_address=c.to_address, key=c.key,
                )
            case RequestWithdrawal():
                w = command
                return await exchange.withdraw(
                    withdrawal_id=w.withdrawal_id, owner=w.owner, asset=w.asset, amount=w.amount,
                    network_fee=w.network_fee, to_address=w.to_address, key=w.key,
                )
            case CancelWithdrawal():
                return await exchange.cancel_withdrawal(command.owner, command.withdrawal_id)
            case ListToken():
                t = command
                return await exchange.list_token(
                    symbol=t.symbol, name=t.name, creator_id=t.creator_id, creator_address=t.creator_address,
                    total_supply=t.total_supply, initial_price=t.initial_price, parameters=t.parameters,
                    owner_id=t.owner_id,
                )
        raise TypeError(f"not an engine command: {type(command).__name__}")


class EngineClient:
    def __init__(self, bus: CommandBus, follower: MarketFollower, store: EventStore, ids: IdGenerator) -> None:
        self._bus, self._follower, self._store, self._ids = bus, follower, store, ids
        self.position = 0  # the highest log position an answer to this process has carried

    async def _send(self, command_id: UUID, command: EngineCommand) -> Done:
        done = await self._bus.send(command_id, command)
        if done.position > self.position:
            self.position = done.position
        return done

    # ----- what an answer needs -----

    async def token(self, ref: str) -> TokenListed:
        """A listed token by id or symbol; one this process has not seen yet is looked for again once the
        committed market holds everything stored so far."""
        try:
            return self._follower.market.state.token(ref)
        except TokenNotFound:
            market = await self._follower.reach(await self._store.head())
            return market.state.token(ref)

    async def listing(self, token_id: UUID) -> TokenListed | None:
        try:
            return await self.token(str(token_id))
        except TokenNotFound:
            return None

    async def listed(self) -> Mapping[UUID, TokenListed]:
        """Every token listed so far, as this process knows them (it only grows)."""
        return self._follower.market.state.tokens

    async def decimals(self, token_id: UUID) -> int:
        return (await self.token(str(token_id))).decimals

    # ----- commands -----

    async def place(self, token_id: UUID, new: NewOrder) -> Done:
        return await self._send(new.order_id, PlaceOrder(token_id, new))

    async def cancel(self, user_id: UUID, order_id: UUID) -> Done:
        return await self._send(self._ids(), CancelOrder(user_id, order_id))

    async def cancel_all(self, user_id: UUID, token_id: UUID | None) -> Done:
        return await self._send(self._ids(), CancelAll(user_id, token_id))

    async def deposit(
        self, owner: UUID, asset: str, amount: int, reference: str, address: str = "", digest: str = ""
    ) -> Done:
        return await self._send(self._ids(), RecordDeposit(owner, asset, amount, reference, address, digest))

    async def transfer(
        self,
        *,
        transfer_id: UUID,
        sender: UUID,
        recipient: UUID,
        asset: str,
        amount: int,
        from_address: str,
        to_address: str,
        key: str = "",
    ) -> Done:
        command = MakeTransfer(
            transfer_id=transfer_id, sender=sender, recipient=recipient, asset=asset, amount=amount,
            from_address=from_address, to_address=to_address, key=key,
        )
        return await self._send(transfer_id, command)

    async def withdraw(
        self,
        *,
        withdrawal_id: UUID,
        owner: UUID,
        asset: str,
        amount: int,
        network_fee: int,
        to_address: str,
        key: str = "",
    ) -> Done:
        command = RequestWithdrawal(
            withdrawal_id=withdrawal_id, owner=owner, asset=asset, amount=amount, network_fee=network_fee,
            to_address=to_address, key=key,
        )
        return await self._send(withdrawal_id, command)

    async def cancel_withdrawal(self, owner: UUID, withdrawal_id: UUID) -> Done:
        return await self._send(self._ids(), CancelWithdrawal(owner, withdrawal_id))

    async def list_token(
        self,
        *,
        symbol: str,
        name: str,
        creator_id: UUID,
        creator_address: str,
        total_supply: int,
        initial_price: int,
        parameters: MarketParameters,
        owner_id: UUID | None = None,
    ) -> Done:
        command = ListToken(
            symbol=symbol, name=name, creator_id=creator_id, creator_address=creator_address,
            total_supply=total_supply, initial_price=initial_price, parameters=parameters, owner_id=owner_id,
        )
        return await self._send(self._ids(), command)
