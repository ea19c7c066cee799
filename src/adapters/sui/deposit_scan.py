"""Deposits on Sui, read from the node's checkpoints in chain order, by a cursor the caller keeps.

Why checkpoints: gRPC had no event query when this was written; the newest
protos' ``LedgerService.ListEvents`` (pysui 1.5.1 has it) needs a node with
its indexes on, and GraphQL would add a second service whose pysui client
loads the server's whole schema before its first query. Checkpoints are plain
full-node data (``LedgerService.GetCheckpoint``), in chain order by
construction, and give a cursor that means something: the (checkpoint,
transaction index, event index) of the last event handed out
(``move_values.DepositCursor``). The cost is one GetCheckpoint per checkpoint,
at most ``checkpoints_per_scan`` a call, each asking only for the
transactions' digests and their events' types and contents.

``GetServiceInfo`` comes first: only checkpoints at or below the node's
executed height are read, so every event handed out is final and none is
handed out twice; a cursor before the oldest checkpoint the node keeps, or a
checkpoint that disappears under the scan, raises DepositHistoryPruned rather
than skipping money. With no cursor the scan starts at
``deposits_from_checkpoint``: the package's publish checkpoint, in practice.

A deposit is the event ``{types package}::vault::Deposited<T> { sender:
address, amount: u64 }`` (move_values): ``T`` is looked up among the
deployment's coin types; an event of another coin type is skipped, counted
in ``skipped`` and logged. ``event_sequence`` is the event's index in its
transaction, as in Sui's EventID. The types package is the package's original
id, which stays the one in its types after an upgrade.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pysui.sui.sui_grpc.pgrpc_requests import GetCheckpoint, GetServiceInfo

from adapters.sui.errors import DepositHistoryPruned, MalformedAnswer, NodeRefused
from adapters.sui.grpc_node import NodeClient
from adapters.sui.move_values import (
    DepositCursor,
    deposited_coin_type,
    deposited_fields,
    normalize_address,
    normalize_type,
)
from application.ports import ChainDeposit

log = logging.getLogger(__name__)

_CHECKPOINT_MASK = [
    "sequence_number",
    "transactions.digest",
    "transactions.events.events.event_type",
    "transactions.events.events.contents",
]


class CheckpointDepositScan:
    def __init__(
        self,
        node: NodeClient,
        *,
        types_package: str,
        assets_by_coin_type: Mapping[str, str],
        from_checkpoint: int,
        checkpoints_per_scan: int,
    ) -> None:
        self._node = node
        self._types_package = normalize_address(types_package)
        self._assets = {normalize_type(coin_type): asset for coin_type, asset in assets_by_coin_type.items()}
        self._from_checkpoint = from_checkpoint
        self._checkpoints_per_scan = checkpoints_per_scan
        self.skipped = 0
        """Deposited events of a coin type the deployment does not know, met by this scan."""

    async def read(self, cursor: str | None, limit: int) -> tuple[list[ChainDeposit], str]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        start = DepositCursor(self._from_checkpoint) if cursor is None else DepositCursor.parse(cursor)
        info = await self._node.call(GetServiceInfo())
        if info.checkpoint_height is None:
            raise MalformedAnswer("GetServiceInfo: no checkpoint height")
        lowest = info.lowest_available_checkpoint or 0
        if start.checkpoint < lowest:
            raise DepositHistoryPruned(
                f"deposits from checkpoint {start.checkpoint} are needed; this node keeps checkpoints from {lowest}"
            )
        last = min(info.checkpoint_height, start.checkpoint + self._checkpoints_per_scan - 1)
        found: list[ChainDeposit] = []
        for sequence in range(start.checkpoint, last + 1):
            for index, executed in enumerate(await self._transactions(sequence)):
                events = executed.events.events if executed.events is not None else []
                for event_index, event in enumerate(events):
                    if start.consumed(sequence, index, event_index):
                        continue
                    deposit = self._deposit(executed.digest, event_index, event)
                    if deposit is not None:
                        found.append(deposit)
                        if len(found) == limit:
                            return found, str(DepositCursor(sequence, index, event_index))
        return found, str(DepositCursor(last + 1) if last >= start.checkpoint else start)

    async def _transactions(self, sequence: int) -> list[Any]:
        try:
            response = await self._node.call(GetCheckpoint(sequence=sequence, field_mask=_CHECKPOINT_MASK))
        except NodeRefused as refusal:
            if refusal.status == "NOT_FOUND":
                raise DepositHistoryPruned(f"checkpoint {sequence} is gone from this node") from refusal
            raise
        checkpoint = response.checkpoint
        if checkpoint is None or checkpoint.sequence_number != sequence:
            raise MalformedAnswer(f"GetCheckpoint {sequence}: the node answered another checkpoint or none")
        return list(checkpoint.transactions)

    def _deposit(self, digest: str | None, index: int, event: Any) -> ChainDeposit | None:
        coin_type = deposited_coin_type(event.event_type, self._types_package)
        if coin_type is None:
            return None
        if not digest:
            raise MalformedAnswer("GetCheckpoint: a transaction with a Deposited event came without its digest")
        contents = event.contents.value if event.contents is not None else None
        sender, amount = deposited_fields(f"{digest}#{index}", contents)
        asset = self._assets.get(coin_type)
        if asset is None:
            self.skipped += 1
            log.warning("skipped a deposit of unknown coin type %s: %s#%d, %d from %s", coin_type, digest, index, amount, sender)
            return None
        return ChainDeposit(digest=digest, event_sequence=index, sender=sender, asset=asset, amount=amount)
