"""Both ends of a trading command: the client an API process calls, the service the engine runs it with.

``EngineClient`` is what the HTTP controllers and handlers call, in every
process and in ``serve`` too: they build a command, it sends it through the
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
    ConfirmBatch,
    EngineCommand,
    FailBatch,
    ListToken,
    MakeTransfer,
    OpenBatch,
    PlaceOrder,
    RecordBuilt,
    RecordDeposit,
    RecordSubmitted,
    RequestWithdrawal,
)
from application.trading.exchange import Done, Exchange
from domain.token.errors import TokenNotFound
from domain.token.events import TokenListed


class EngineService:
    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    async def listing(self, token_id: UUID) -> TokenListed | None:
        return await self._exchange.listing(token_id)

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
            case OpenBatch():
                return await exchange.open_batch()
            case RecordBuilt():
                return await exchange.record_built(command.sequence, command.trades_root, command.tx)
            case RecordSubmitted():
                return await exchange.record_submitted(command.sequence)
            case ConfirmBatch():
                return await exchange.confirm_batch(command.sequence, command.digest, command.checkpoint)
            case FailBatch():
                return await exchange.fail_batch(command.sequence, command.error)
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

    async def handle(self, command: EngineCommand) -> Done:
        """Send a command to the engine and answer its Done (or raise what the engine raised)."""
        command_id = command_id_of(command) or self._ids()
        done = await self._bus.send(command_id, command)
        if done.position > self.position:
            self.position = done.position
        return done


def command_id_of(command: EngineCommand) -> UUID | None:
    """The id a command is known by, when it has one of its own (stored with its effect); else None."""
    match command:
        case PlaceOrder():
            return command.order.order_id
        case MakeTransfer():
            return command.transfer_id
        case RequestWithdrawal():
            return command.withdrawal_id
    return None
