"""The local ledger: a stand-in Sui chain for one machine, kept in SQL so it outlives restarts.

It does what the settler needs a chain to do, with Sui's rules where they matter:

- ``prepare`` builds the batch's real Sui transaction (``adapters.sui.transactions``)
  paid with the operator's gas coin at a fixed reference gas price and budget, and
  signs it with the operator key: the configured ``OperatorKey``, or one it makes
  (Ed25519) on first start and keeps in its tables.
- ``execute`` judges the signed bytes as a validator would (``local_rules``). Refused
  outright, never executed, nothing stored (``effects`` stays None; the same bytes
  may be sent again and are judged afresh, which refuses them again unless the
  cause has passed): a digest that is not the bytes', a signature that does not
  verify or is not the operator's, bytes that are not exactly a batch for this
  deployment, a sender other than the signer, a gas payment that is not the gas
  coin as it is now (stale), a gas price under the reference. Executed (stored with
  a checkpoint; the gas coin moves to a new version and digest, as on Sui, even
  when it fails): an injected fault (``fail_next``) or a vault that cannot pay every
  payout, both as failed effects that pay nothing; otherwise success, which takes
  the payouts from the vaults. A digest executed before answers its stored effects
  and changes nothing, whatever signature comes with it: its data was already
  authorized.
- Every write first locks one state row in one transaction, so two processes on one
  PostgreSQL (or one SQLite file) never execute a digest twice.
- ``record_deposit`` (``POST /admin/deposits``) puts money into a vault once per
  reference; its digest is ``local:`` + hex(blake2b-256(reference)), never mistaken
  for a Sui digest and the same for the same reference. ``deposits`` lists them in
  the order recorded; the cursor is the last one's sequence number, as text.
- ``fail_next(n)``, for tests and ``POST /admin/chain/faults``: the next ``n``
  executions fail. The count lives in the state row, so every process sharing the
  database sees it; refused and repeated submissions do not use it up.
- ``delay`` seconds (``PEOPLECOIN_LOCAL_CHAIN_DELAY``) pass before a submission is
  judged: until then the chain has not executed it, as a real one would not have.

A database error during a call means its outcome is unknown: ChainUnavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from adapters.chain import local_tables as t
from adapters.chain.local_rules import (
    GAS_BUDGET,
    REFERENCE_GAS_PRICE,
    Refused,
    authorized_batch,
    check_gas,
    deposit_digest,
    first_gas_coin,
    next_gas_coin,
    owed,
    shortfall,
)
from adapters.sui.deployment import Deployment
from adapters.sui.encoding import normalized_address
from adapters.sui.keys import OperatorKey
from adapters.sui.transactions import ParsedBatch, build_batch_transaction, transaction_digest
from adapters.views.database import real_sqlite_transactions
from application.ports import (
    BatchContent,
    ChainDeposit,
    ChainUnavailable,
    Effects,
    ObjectRef,
    Pool,
    SignedTransaction,
    Vault,
    VaultNotConfigured,
)

BALANCE_MAX = 2**63 - 1  # what a BIGINT column holds
_SCHEMA_LOCK = 7_401_990_312  # PostgreSQL advisory lock while creating the tables


class LocalLedgerChain:
    is_local = True

    def __init__(
        self,
        url: str,
        *,
        operator_key: OperatorKey | None = None,
        deployment: Deployment | None = None,
        delay: float = 0.0,
    ) -> None:
        """``url``: a SQLAlchemy async URL (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``). Nothing is
        opened until ``start()``, which every call makes first."""
        if delay < 0:
            raise ValueError("the confirmation delay is zero or more seconds")
        self.url = url
        self.deployment = deployment or Deployment.local()
        self._key = operator_key
        self._delay = delay
        self._is_sqlite = url.startswith("sqlite")
        if self._is_sqlite:
            self._engine = create_async_engine(url)
            real_sqlite_transactions(self._engine, immediate=True)
        else:
            self._engine = create_async_engine(url, pool_size=5, max_overflow=5, pool_recycle=1800)
        self._insert = sqlite_insert if self._is_sqlite else pg_insert
        self._started = False
        self._starting = asyncio.Lock()

    # ----- life -----

    async def start(self) -> None:
        """Create the tables if missing, and the state row, the operator key and its gas coin; idempotent."""
        async with self._starting:
            if self._started:
                return
            async with self._transaction(starting=True) as conn:
                if not self._is_sqlite:
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
                await conn.run_sync(t.metadata.create_all)
                await conn.execute(
                    self._insert(t.state).values(id=t.STATE_ROW, checkpoint=0, deposits=0, fail_next=0).on_conflict_do_nothing()
                )
                if self._key is None:
                    self._key = await self._kept_key(conn)
                coin = first_gas_coin(self._key.address)
                await conn.execute(
                    self._insert(t.gas_coins)
                    .values(owner=self._key.address, object_id=coin.object_id, version=coin.version, digest=coin.digest)
                    .on_conflict_do_nothing()
                )
            self._started = True

    async def close(self) -> None:
        await self._engine.dispose()

    @property
    def operator_address(self) -> str:
        if self._key is None:
            raise RuntimeError("the local ledger makes its operator key at start(); start it first")
        return self._key.address

    async def _kept_key(self, conn: AsyncConnection) -> OperatorKey:
        """The key made on the first start (by whichever process got there first), read back."""
        made = OperatorKey.generate()
        await conn.execute(self._insert(t.generated_key).values(id=1, private_key=made.private_key).on_conflict_do_nothing())
        return OperatorKey.parse((await conn.execute(select(t.generated_key.c.private_key))).scalar_one())

    @asynccontextmanager
    async def _transaction(self, *, starting: bool = False) -> AsyncIterator[AsyncConnection]:
        """One database transaction (committed when the block ends); a database failure is ChainUnavailable, since
        whether it committed is unknown."""
        if not starting:
            await self.start()
        try:
            async with self._engine.begin() as conn:
                yield conn
        except (SQLAlchemyError, OSError) as error:
            raise ChainUnavailable(f"the local ledger's database failed: {error}") from error

    # ----- settlement -----

    async def prepare(self, content: BatchContent) -> SignedTransaction:
        async with self._transaction() as conn:
            coin = await self._gas_coin(conn)
        key = self._key
        assert key is not None
        tx_bytes = build_batch_transaction(content, self.deployment, key.address, [coin], REFERENCE_GAS_PRICE, GAS_BUDGET)
        return SignedTransaction(tx_bytes, key.sign_transaction(tx_bytes), transaction_digest(tx_bytes), key.address)

    async def execute(self, tx: SignedTransaction) -> Effects:
        await self.start()
        if self._delay:
            await asyncio.sleep(self._delay)
        digest = transaction_digest(tx.tx_bytes)
        if digest != tx.digest:
            return Effects(tx.digest, False, f"digest_mismatch: the bytes' digest is {digest}")
        async with self._transaction() as conn:
            state = await self._locked_state(conn)
            stored = await self._stored_effects(conn, digest)
            if stored is not None:
                return stored
            try:
                batch = authorized_batch(tx, self.operator_address, self.deployment)
                coin = await self._gas_coin(conn)
                check_gas(batch, coin)
            except Refused as refused:
                return Effects(digest, False, str(refused))
            return await self._run(conn, state, tx, digest, batch, coin)

    async def _run(
        self, conn: AsyncConnection, state: Any, tx: SignedTransaction, digest: str, batch: ParsedBatch, coin: ObjectRef
    ) -> Effects:
        """Execute: a checkpoint, the gas coin moved, and the payouts paid unless a fault or a short vault fails it."""
        checkpoint, fail_next = state.checkpoint + 1, state.fail_next
        if fail_next > 0:
            fail_next, error = fail_next - 1, "injected_fault: the local ledger was told to fail this execution"
        else:
            error = await self._pay(conn, batch)
        moved = next_gas_coin(coin, digest)
        await conn.execute(
            update(t.gas_coins).where(t.gas_coins.c.owner == batch.sender).values(version=moved.version, digest=moved.digest)
        )
        await conn.execute(
            insert(t.transactions).values(
                digest=digest, ok=not error, error=error, checkpoint=checkpoint, tx_bytes=tx.tx_bytes, signature=tx.signature
            )
        )
        await conn.execute(update(t.state).where(t.state.c.id == t.STATE_ROW).values(checkpoint=checkpoint, fail_next=fail_next))
        return Effects(digest, not error, error, checkpoint)

    async def _pay(self, conn: AsyncConnection, batch: ParsedBatch) -> str:
        """Take every payout from its vault, or nothing and say which vault falls short."""
        owing = owed(batch)
        balances = {asset: await self._balance(conn, asset) for asset in owing}
        error = shortfall(owing, balances)
        if not error:
            for asset, amount in owing.items():
                await self._set_balance(conn, asset, balances[asset] - amount)
        return error

    async def effects(self, digest: str) -> Effects | None:
        async with self._transaction() as conn:
            return await self._stored_effects(conn, digest)

    async def fail_next(self, n: int) -> None:
        """The next ``n`` executions fail (failed effects, gas moved, nothing paid); 0 clears it."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError("fail_next is a count, zero or more")
        async with self._transaction() as conn:
            await self._locked_state(conn)
            await conn.execute(update(t.state).where(t.state.c.id == t.STATE_ROW).values(fail_next=n))

    # ----- vaults, pools and deposits -----

    def can_pay(self, asset: str) -> bool:
        try:
            self.deployment.vault(asset)
        except VaultNotConfigured:
            return False
        return True

    async def vault(self, asset: str) -> Vault:
        config = self.deployment.vault(asset)
        async with self._transaction() as conn:
            balance = await self._balance(conn, asset)
        return Vault(asset, config.object_id, config.coin_type, balance)

    async def pool(self, token_id: UUID) -> Pool | None:
        return None

    async def deposits(self, cursor: str | None, limit: int) -> tuple[list[ChainDeposit], str | None]:
        after = _cursor_position(cursor)
        if limit < 1:
            return [], cursor
        query = select(t.deposits).where(t.deposits.c.sequence > after).order_by(t.deposits.c.sequence).limit(limit)
        async with self._transaction() as conn:
            rows = (await conn.execute(query)).all()
        found = [ChainDeposit(r.digest, 0, r.address, r.asset, r.amount) for r in rows]
        return found, (str(rows[-1].sequence) if rows else cursor)

    def deposit_digest(self, reference: str) -> str:
        """The digest that stands for the deposit recorded under ``reference`` (no database needed)."""
        return deposit_digest(reference)

    async def record_deposit(self, address: str, asset: str, amount: int, reference: str) -> str:
        sender = normalized_address(address)
        self.deployment.vault(asset)  # UnknownAsset for an asset with no vault
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"a deposit is a positive number of smallest units, not {amount!r}")
        if not isinstance(reference, str) or not reference:
            raise ValueError("a deposit has a reference")
        digest = deposit_digest(reference)
        async with self._transaction() as conn:
            state = await self._locked_state(conn)
            if (await conn.execute(select(t.deposits.c.sequence).where(t.deposits.c.reference == reference))).first():
                return digest
            balance = await self._balance(conn, asset) + amount
            if balance > BALANCE_MAX:
                raise ValueError(f"the {asset} vault would hold more than {BALANCE_MAX}")
            sequence = state.deposits + 1
            await conn.execute(
                insert(t.deposits).values(
                    sequence=sequence, reference=reference, digest=digest, address=sender, asset=asset, amount=amount
                )
            )
            await self._set_balance(conn, asset, balance)
            await conn.execute(update(t.state).where(t.state.c.id == t.STATE_ROW).values(deposits=sequence))
        return digest

    # ----- rows -----

    async def _locked_state(self, conn: AsyncConnection) -> Any:
        """The state row, locked for the rest of the transaction (FOR UPDATE; SQLite's BEGIN IMMEDIATE already is)."""
        return (await conn.execute(select(t.state).where(t.state.c.id == t.STATE_ROW).with_for_update())).one()

    async def _stored_effects(self, conn: AsyncConnection, digest: str) -> Effects | None:
        columns = (t.transactions.c.ok, t.transactions.c.error, t.transactions.c.checkpoint)
        row = (await conn.execute(select(*columns).where(t.transactions.c.digest == digest))).first()
        return None if row is None else Effects(digest, row.ok, row.error, row.checkpoint)

    async def _gas_coin(self, conn: AsyncConnection) -> ObjectRef:
        row = (await conn.execute(select(t.gas_coins).where(t.gas_coins.c.owner == self.operator_address))).one()
        return ObjectRef(row.object_id, row.version, row.digest)

    async def _balance(self, conn: AsyncConnection, asset: str) -> int:
        found = (await conn.execute(select(t.vaults.c.balance).where(t.vaults.c.asset == asset))).scalar_one_or_none()
        return found or 0

    async def _set_balance(self, conn: AsyncConnection, asset: str, balance: int) -> None:
        upsert = self._insert(t.vaults).values(asset=asset, balance=balance)
        await conn.execute(upsert.on_conflict_do_update(index_elements=[t.vaults.c.asset], set_={"balance": balance}))


def _cursor_position(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not isinstance(cursor, str) or not cursor.isascii() or not cursor.isdigit():
        raise ValueError(f"not a cursor of the local ledger's deposits: {cursor!r}")
    return int(cursor)
