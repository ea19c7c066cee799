"""SuiChain: the chain port against a Sui full node, through pysui's gRPC client.

What it asks the node (sui.rpc.v2), and why:

- ``prepare``: the operator's gas coin (``StateService.ListOwnedObjects`` of
  ``0x2::coin::Coin<0x2::sui::SUI>``, the largest; or ``LedgerService.GetObject``
  of a configured coin) and the current epoch's reference gas price
  (``LedgerService.GetEpoch``); the bytes are built by
  ``adapters.sui.transactions`` and signed by ``adapters.sui.keys``.
- ``execute``: ``TransactionExecutionService.ExecuteTransaction``, then
  ``LedgerService.GetTransaction`` until the transaction is in a checkpoint,
  within ``confirm_timeout``. Effects are final once a quorum certifies them;
  waiting for the checkpoint means that what we report is also what every
  full node and indexer will serve. The node answers a digest it executed
  before with the same effects, so a resubmission is safe.
- ``effects``: ``GetTransaction``; NOT_FOUND is None.
- ``vault`` / ``pool``: ``GetObject``, contents read by ``adapters.sui.move_values``.
- ``deposits``: ``LedgerService.GetServiceInfo`` and ``GetCheckpoint``, in
  chain order (``adapters.sui.deposit_scan`` says why checkpoints).

Outcomes of ``execute``, by what the node said:

- effects (success or failure) → Effects(ok, error, checkpoint);
- INVALID_ARGUMENT (bad signature, unparseable, stale or unknown gas, inputs
  that do not exist: the node refused it before execution) → failed Effects,
  after asking GetTransaction that the digest was indeed never executed;
- ABORTED (already finalized with other signatures) → the stored effects;
- anything else, no answer, an unreadable answer, or no checkpoint before
  ``confirm_timeout`` → ChainUnavailable: the outcome is unknown, the caller
  asks ``effects(digest)`` or submits the same bytes again. FAILED_PRECONDITION
  (objects locked by another transaction) belongs here: the lock ends with the
  epoch, after which this transaction could still run.

Configuration, as proposed for the container (``SuiSettings.from_env``):
PEOPLECOIN_SUI_URL (the node's gRPC URL: ``https://host[:port]``, or
``http://host:port`` for a plaintext local node), PEOPLECOIN_SUI_OPERATOR_KEY
(``suiprivkey1…``), PEOPLECOIN_SUI_DEPLOYMENT (read by adapters.sui.transactions),
PEOPLECOIN_SUI_GAS_BUDGET (MIST), PEOPLECOIN_SUI_GAS_OBJECT, PEOPLECOIN_SUI_POOLS
(JSON ``{token id: pool object id}``), PEOPLECOIN_SUI_TYPES_PACKAGE,
PEOPLECOIN_SUI_DEPOSITS_FROM_CHECKPOINT, PEOPLECOIN_SUI_TIMEOUT,
PEOPLECOIN_SUI_EXECUTE_TIMEOUT, PEOPLECOIN_SUI_CONFIRM_TIMEOUT (seconds).
No GraphQL URL: nothing here needs one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pysui.sui.sui_grpc.suimsgs.sui.rpc.v2 as sui_prot
from pysui.sui.sui_grpc.pgrpc_requests import ExecuteTransaction, GetEpoch, GetGas, GetObject, GetTransaction

from adapters.sui.deposit_scan import CheckpointDepositScan
from adapters.sui.errors import GasUnavailable, MalformedAnswer, NodeRefused, SuiNodeError
from adapters.sui.grpc_node import NodeClient
from adapters.sui.keys import OperatorKey
from adapters.sui.move_values import (
    SUI_COIN_TYPE,
    coin_balance,
    normalize_address,
    normalize_type,
    pool_reserves,
    vault_balance,
)
from adapters.sui.deployment import Deployment
from adapters.sui.transactions import build_batch_transaction, transaction_digest
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

_EFFECTS_MASK = ["digest", "effects.status", "checkpoint"]
_OBJECT_MASK = ["object_id", "version", "digest", "owner", "object_type", "contents", "balance"]
_OWNED_PAGE_SIZE = 200
_MAX_PAGES = 100


class DepositsComeFromTheChain(NotImplementedError):
    """record_deposit is the local ledger's; on Sui a deposit is a transaction someone sends."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiSettings:
    url: str
    operator_key: OperatorKey
    deployment: Deployment
    gas_budget: int = 50_000_000  # MIST, 0.05 SUI
    gas_object_id: str | None = None  # else the operator's largest SUI coin
    pools: Mapping[UUID, str] = field(default_factory=dict)
    types_package_id: str | None = None  # the package's original id, if it was upgraded
    deposits_from_checkpoint: int = 0
    checkpoints_per_scan: int = 100
    rpc_timeout: float = 10.0  # each read
    execute_timeout: float = 30.0  # ExecuteTransaction itself
    confirm_timeout: float = 60.0  # from submission to a checkpoint
    poll_interval: float = 0.5

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, deployment: Deployment) -> SuiSettings:
        """The settings from PEOPLECOIN_SUI_* (module docstring); the deployment is read by its own module."""

        def number(name: str, default: float) -> float:
            return float(environ[name]) if environ.get(name) else default

        pools = json.loads(environ.get("PEOPLECOIN_SUI_POOLS") or "{}")
        return cls(
            url=environ["PEOPLECOIN_SUI_URL"],
            operator_key=OperatorKey.parse(environ["PEOPLECOIN_SUI_OPERATOR_KEY"]),
            deployment=deployment,
            gas_budget=int(environ.get("PEOPLECOIN_SUI_GAS_BUDGET") or 50_000_000),
            gas_object_id=environ.get("PEOPLECOIN_SUI_GAS_OBJECT") or None,
            pools={UUID(token): object_id for token, object_id in pools.items()},
            types_package_id=environ.get("PEOPLECOIN_SUI_TYPES_PACKAGE") or None,
            deposits_from_checkpoint=int(environ.get("PEOPLECOIN_SUI_DEPOSITS_FROM_CHECKPOINT") or 0),
            rpc_timeout=number("PEOPLECOIN_SUI_TIMEOUT", 10.0),
            execute_timeout=number("PEOPLECOIN_SUI_EXECUTE_TIMEOUT", 30.0),
            confirm_timeout=number("PEOPLECOIN_SUI_CONFIRM_TIMEOUT", 60.0),
        )


class SuiChain:
    """The Chain port on a Sui full node; see the module docstring for what each method asks."""

    is_local = False

    def __init__(self, settings: SuiSettings) -> None:
        self._settings = settings
        self._key = settings.operator_key
        self._deployment = settings.deployment
        self._node = NodeClient(settings.url, timeout=settings.rpc_timeout)
        self._deposits = CheckpointDepositScan(
            self._node,
            types_package=settings.types_package_id or settings.deployment.package,
            assets_by_coin_type={vault.coin_type: asset for asset, vault in settings.deployment.vaults.items()},
            from_checkpoint=settings.deposits_from_checkpoint,
            checkpoints_per_scan=settings.checkpoints_per_scan,
        )

    @property
    def skipped_deposits(self) -> int:
        """Deposited events of a coin type the deployment does not know, met by this instance."""
        return self._deposits.skipped

    @property
    def operator_address(self) -> str:
        return self._key.address

    async def start(self) -> None:
        """Nothing to prepare: the node is reached on the first call, and every call says when it cannot be."""

    async def close(self) -> None:
        await self._node.close()

    async def __aenter__(self) -> SuiChain:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # ----- settlement -----

    async def prepare(self, content: BatchContent) -> SignedTransaction:
        gas = await self._gas_coin()
        price = await self._reference_gas_price()
        sender = self._key.address
        tx_bytes = build_batch_transaction(content, self._deployment, sender, [gas], price, self._settings.gas_budget)
        return SignedTransaction(
            tx_bytes=tx_bytes,
            signature=self._key.sign_transaction(tx_bytes),
            digest=transaction_digest(tx_bytes),
            operator_address=sender,
        )

    async def execute(self, tx: SignedTransaction) -> Effects:
        request = ExecuteTransaction(tx_bytestr=tx.tx_bytes, sig_array=[tx.signature], field_mask=_EFFECTS_MASK)
        try:
            executed = await self._node.call(request, timeout=self._settings.execute_timeout)
            effects = _effects_of(tx.digest, executed)
        except NodeRefused as refusal:
            return await self._after_refusal(tx.digest, refusal)
        except MalformedAnswer as exc:
            raise ChainUnavailable(f"{tx.digest}: unreadable answer to ExecuteTransaction, outcome unknown") from exc
        if effects.checkpoint is None:
            return await self._checkpointed(tx.digest)
        return effects

    async def effects(self, digest: str) -> Effects | None:
        try:
            response = await self._node.call(GetTransaction(digest=digest, field_mask=_EFFECTS_MASK))
        except NodeRefused as refusal:
            if refusal.status == "NOT_FOUND":
                return None
            raise
        return _effects_of(digest, response.transaction)

    async def _after_refusal(self, digest: str, refusal: NodeRefused) -> Effects:
        if refusal.status in ("INVALID_ARGUMENT", "ABORTED"):
            try:
                known = await self.effects(digest)
            except SuiNodeError as exc:
                raise ChainUnavailable(f"{digest}: {refusal}; then {exc}; outcome unknown") from exc
            if known is not None:
                return known if known.checkpoint is not None else await self._checkpointed(digest)
            if refusal.status == "INVALID_ARGUMENT":
                return Effects(digest=digest, ok=False, error=f"refused by the node: {refusal.message}")
        raise ChainUnavailable(f"{digest}: {refusal}; outcome unknown") from refusal

    async def _checkpointed(self, digest: str) -> Effects:
        """The effects once the transaction is in a checkpoint; ChainUnavailable after ``confirm_timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.confirm_timeout
        last = "not found yet"
        while True:
            try:
                effects = await self.effects(digest)
            except (ChainUnavailable, SuiNodeError) as exc:
                effects, last = None, str(exc)
            else:
                if effects is not None and effects.checkpoint is not None:
                    return effects
                if effects is not None:
                    last = f"executed ({'ok' if effects.ok else 'failed'}) but in no checkpoint yet"
            if loop.time() >= deadline:
                raise ChainUnavailable(f"{digest}: not confirmed within {self._settings.confirm_timeout}s: {last}")
            await asyncio.sleep(self._settings.poll_interval)

    async def _reference_gas_price(self) -> int:
        response = await self._node.call(GetEpoch(field_mask=["epoch", "reference_gas_price"]))
        price = response.epoch.reference_gas_price if response.epoch is not None else None
        if not price:
            raise MalformedAnswer("GetEpoch: the current epoch came without a reference gas price")
        return price

    async def _gas_coin(self) -> ObjectRef:
        operator = normalize_address(self._key.address)
        budget = self._settings.gas_budget
        if self._settings.gas_object_id is not None:
            coin = await self._object(self._settings.gas_object_id, "the configured gas coin")
            owner = coin.owner
            if owner is None or owner.kind != sui_prot.OwnerOwnerKind.ADDRESS or _address(owner.address) != operator:
                raise GasUnavailable(f"gas coin {coin.object_id} is not owned by the operator {operator}")
            if normalize_type(coin.object_type or "") != normalize_type(SUI_COIN_TYPE):
                raise GasUnavailable(f"gas object {coin.object_id} is a {coin.object_type}, not a SUI coin")
            coins = [coin]
        else:
            coins = await self._owned_sui_coins(operator)
        best = max(coins, key=_coin_value, default=None)
        if best is None or _coin_value(best) < budget:
            have = "no SUI coin" if best is None else f"at most {_coin_value(best)} MIST in one coin"
            raise GasUnavailable(f"the operator {operator} has {have}; the gas budget is {budget} MIST")
        return _object_ref(best)

    async def _owned_sui_coins(self, owner: str) -> list[Any]:
        coins: list[Any] = []
        token: bytes | None = None
        for _ in range(_MAX_PAGES):
            page = await self._node.call(
                GetGas(owner=owner, field_mask=_OBJECT_MASK, page_size=_OWNED_PAGE_SIZE, page_token=token)
            )
            coins.extend(page.objects)
            if not page.next_page_token:
                return coins
            if page.next_page_token == token:
                raise MalformedAnswer("ListOwnedObjects: the node handed back the same page token")
            token = page.next_page_token
        raise MalformedAnswer(f"ListOwnedObjects: more than {_MAX_PAGES} pages of SUI coins for {owner}")

    # ----- what the chain holds -----

    def can_pay(self, asset: str) -> bool:
        try:
            self._deployment.vault(asset)
        except VaultNotConfigured:
            return False
        return True

    async def vault(self, asset: str) -> Vault:
        config = self._deployment.vault(asset)
        found = await self._object(config.object_id, f"the vault of {asset}")
        balance = vault_balance(config.object_id, found.object_type, config.coin_type, _bytes(found.contents))
        return Vault(
            asset=asset, object_id=normalize_address(config.object_id), coin_type=config.coin_type, balance=balance
        )

    async def pool(self, token_id: UUID) -> Pool | None:
        object_id = self._settings.pools.get(token_id)
        if object_id is None:
            return None
        found = await self._object(object_id, f"the pool of {token_id}")
        token_reserve, usd_reserve = pool_reserves(object_id, _bytes(found.contents))
        return Pool(object_id=normalize_address(object_id), token_reserve=token_reserve, usd_reserve=usd_reserve)

    async def _object(self, object_id: str, what: str) -> Any:
        try:
            response = await self._node.call(GetObject(object_id=normalize_address(object_id), field_mask=_OBJECT_MASK))
        except NodeRefused as refusal:
            if refusal.status == "NOT_FOUND":
                raise SuiNodeError(f"{what}, object {object_id}, does not exist on this node's chain") from refusal
            raise
        if response.object is None:
            raise MalformedAnswer(f"GetObject {object_id}: the node answered without the object")
        return response.object

    # ----- deposits -----

    async def deposits(self, cursor: str | None, limit: int) -> tuple[list[ChainDeposit], str | None]:
        return await self._deposits.read(cursor, limit)

    async def record_deposit(self, address: str, asset: str, amount: int, reference: str) -> str:
        raise DepositsComeFromTheChain("on Sui a deposit is a transaction to the vault; it is read from the chain")


def _effects_of(digest: str, executed: Any) -> Effects:
    status = executed.effects.status if executed is not None and executed.effects is not None else None
    if status is None or status.success is None:
        raise MalformedAnswer(f"{digest}: the node's answer has no effects status")
    if executed.digest is not None and executed.digest != digest:
        raise MalformedAnswer(f"asked for {digest}, the node answered {executed.digest}")
    return Effects(
        digest=digest,
        ok=status.success,
        error="" if status.success else _describe(status.error),
        checkpoint=executed.checkpoint,
    )


def _describe(error: Any) -> str:
    if error is None:
        return "failed (the node gave no reason)"
    kind = getattr(error.kind, "name", None) or (f"error kind {error.kind}" if error.kind is not None else "FAILED")
    where = f" in command {error.command}" if error.command is not None else ""
    return f"{kind}{where}: {error.description}" if error.description else f"{kind}{where}"


def _bytes(bcs: Any) -> bytes | None:
    return bcs.value if bcs is not None else None


def _address(text: str | None) -> str | None:
    try:
        return normalize_address(text or "")
    except ValueError:
        return None


def _coin_value(coin: Any) -> int:
    return coin.balance if coin.balance is not None else coin_balance(coin.object_id, _bytes(coin.contents))


def _object_ref(found: Any) -> ObjectRef:
    if not found.object_id or found.version is None or not found.digest:
        raise MalformedAnswer(f"an object reference without id, version or digest: {found.object_id}")
    return ObjectRef(object_id=normalize_address(found.object_id), version=found.version, digest=found.digest)
