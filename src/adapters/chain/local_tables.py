"""The local ledger's memory, in its own tables (``local_chain_*``), so it outlives the process.

Not the views' schema: nothing here is rebuilt from the event log; it is the
stand-in chain's own state, which the log records against (digests, deposits).
Created with ``create_all`` when the ledger starts, never migrated by alembic.

``local_chain_state`` is a single row every write locks first: the checkpoint
counter, the deposit counter and the pending injected faults. Locking it orders
every execution and every deposit, across processes on one PostgreSQL as in one
SQLite file, so counters never skip or repeat and a digest is judged by one
writer at a time (its primary key backs that up).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

STATE_ROW = 1

state = Table(
    "local_chain_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("checkpoint", BigInteger, nullable=False),  # the last checkpoint handed out
    Column("deposits", BigInteger, nullable=False),  # the last deposit's sequence
    Column("fail_next", Integer, nullable=False),  # executions still to fail on purpose
)

generated_key = Table(
    "local_chain_operator_key",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("private_key", Text, nullable=False),  # suiprivkey1…, made once when none is configured
)

gas_coins = Table(
    "local_chain_gas_coins",
    metadata,
    Column("owner", String(66), primary_key=True),
    Column("object_id", String(66), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
)

transactions = Table(
    "local_chain_transactions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("ok", Boolean, nullable=False),
    Column("error", Text, nullable=False),
    Column("checkpoint", BigInteger, nullable=False, unique=True),
    Column("tx_bytes", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
)

vaults = Table(
    "local_chain_vaults",
    metadata,
    Column("asset", String(64), primary_key=True),
    Column("balance", BigInteger, nullable=False),
)

deposits = Table(
    "local_chain_deposits",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("reference", Text, nullable=False, unique=True),
    Column("digest", String(80), nullable=False),
    Column("address", String(66), nullable=False),
    Column("asset", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
)
