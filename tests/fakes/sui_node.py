"""A fake Sui full node on 127.0.0.1: the sui.rpc.v2 gRPC methods the Sui adapter calls, over grpclib, with
pysui's generated betterproto2 messages, answering from a FakeLedger (tests/fakes/sui_ledger.py).

Methods: LedgerService GetServiceInfo, GetObject, GetTransaction, GetCheckpoint,
GetEpoch; StateService ListOwnedObjects; TransactionExecutionService
ExecuteTransaction. Any other method is UNIMPLEMENTED (grpclib's answer to an
unknown path). As a node does, every reply is cut down to its ``read_mask``
(with each method's documented default when none is sent), a mask path that
the message does not have is INVALID_ARGUMENT, a missing or malformed id or
digest is INVALID_ARGUMENT and an unknown one NOT_FOUND.

ExecuteTransaction answers before its transaction is in a checkpoint, as a
node does; the transaction is sealed into its own checkpoint right after
(``hold_checkpoints`` keeps them pending until ``seal_checkpoint``).

Faults, each for the next call(s) only:

- ``ledger.fail_next = n``: the next n executions fail (MOVE_ABORT effects);
- ``unavailable_next = n``: the next n calls of any method answer UNAVAILABLE;
- ``drop_next = n``: ExecuteTransaction resets the stream without executing;
- ``lose_next_reply = n``: ExecuteTransaction executes, then resets the stream;
- ``stall_before = s`` / ``stall_after = s``: ExecuteTransaction sleeps s seconds
  before / after executing (a client with a shorter time-out gives up; its
  reset cancels the sleep, so "before" never executes and "after" has);
- ``hostile_next = n``: the next n transaction answers (Execute/GetTransaction)
  carry effects without a status;
- ``corrupt(object_id, contents)``: an object's BCS contents become anything.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import betterproto2
import pysui.sui.sui_grpc.suimsgs.sui.rpc.v2 as sui
from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError
from grpclib.protocol import H2Protocol
from grpclib.server import Server, Stream

from adapters.sui.move_values import normalize_address, normalize_type
from tests.fakes.sui_ledger import FakeLedger, Refused, valid_digest


class FakeSuiNode:
    def __init__(self, ledger: FakeLedger | None = None, *, page_size_cap: int = 1000) -> None:
        self.ledger = ledger or FakeLedger()
        self.page_size_cap = page_size_cap
        self.hold_checkpoints = False
        self.lowest_available_checkpoint = 0
        self.chain_id = "4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S"
        self.unavailable_next = 0
        self.drop_next = 0
        self.lose_next_reply = 0
        self.stall_before = 0.0
        self.stall_after = 0.0
        self.hostile_next = 0
        self.calls: list[str] = []
        self._server: Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._server = _ClosingServer([self])
        await self._server.start(sock=sock)
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.close()
            server.drop_connections()
            await server.wait_closed()

    def seal_checkpoint(self) -> int:
        return self.ledger.seal_checkpoint()

    def corrupt(self, object_id: str, contents: bytes) -> None:
        self.ledger.objects[normalize_address(object_id)].contents = contents

    # ----- grpclib wiring -----

    def __mapping__(self) -> dict[str, Handler]:
        methods: list[tuple[str, Callable[[Any, Stream], Awaitable[Any]], type, type]] = [
            ("LedgerService/GetServiceInfo", self._service_info, sui.GetServiceInfoRequest, sui.GetServiceInfoResponse),
            ("LedgerService/GetObject", self._get_object, sui.GetObjectRequest, sui.GetObjectResponse),
            ("LedgerService/GetTransaction", self._get_transaction, sui.GetTransactionRequest, sui.GetTransactionResponse),
            ("LedgerService/GetCheckpoint", self._get_checkpoint, sui.GetCheckpointRequest, sui.GetCheckpointResponse),
            ("LedgerService/GetEpoch", self._get_epoch, sui.GetEpochRequest, sui.GetEpochResponse),
            ("StateService/ListOwnedObjects", self._list_owned, sui.ListOwnedObjectsRequest, sui.ListOwnedObjectsResponse),
            ("TransactionExecutionService/ExecuteTransaction", self._execute, sui.ExecuteTransactionRequest,
             sui.ExecuteTransactionResponse),
        ]
        return {
            f"/sui.rpc.v2.{path}": Handler(self._unary(path.split("/")[1], method), Cardinality.UNARY_UNARY, req, rep)
            for path, method, req, rep in methods
        }

    def _unary(self, name: str, method: Callable[[Any, Stream], Awaitable[Any]]) -> Callable[[Stream], Awaitable[None]]:
        async def handle(stream: Stream) -> None:
            request = await stream.recv_message()
            self.calls.append(name)
            if self.unavailable_next:
                self.unavailable_next -= 1
                raise GRPCError(Status.UNAVAILABLE, "system is overloaded")
            try:
                reply = await method(request, stream)
            except Refused as refused:
                raise GRPCError(refused.status, refused.message) from None
            if reply is not None:
                await stream.send_message(reply)

        return handle

    # ----- LedgerService -----

    async def _service_info(self, request: sui.GetServiceInfoRequest, stream: Stream) -> sui.GetServiceInfoResponse:
        return sui.GetServiceInfoResponse(
            chain_id=self.chain_id,
            chain="fake",
            epoch=self.ledger.epoch,
            checkpoint_height=len(self.ledger.checkpoints) - 1,
            lowest_available_checkpoint=self.lowest_available_checkpoint,
            lowest_available_checkpoint_objects=self.lowest_available_checkpoint,
            server="fake-sui-node",
        )

    async def _get_object(self, request: sui.GetObjectRequest, stream: Stream) -> sui.GetObjectResponse:
        object_id = _object_id(request.object_id)
        obj = self.ledger.objects.get(object_id)
        if obj is None or (request.version is not None and request.version != obj.version):
            raise Refused(Status.NOT_FOUND, f"Object {object_id} not found")
        return sui.GetObjectResponse(object=masked(obj.proto(), request.read_mask, "object_id,version,digest"))

    async def _get_transaction(self, request: sui.GetTransactionRequest, stream: Stream) -> sui.GetTransactionResponse:
        if not valid_digest(request.digest):
            raise Refused(Status.INVALID_ARGUMENT, f"invalid digest: {request.digest!r}")
        found = self.ledger.transactions.get(request.digest)
        if found is None:
            raise Refused(Status.NOT_FOUND, f"Transaction {request.digest} not found")
        return sui.GetTransactionResponse(transaction=self._answer(found.proto(), request.read_mask, "digest"))

    async def _get_checkpoint(self, request: sui.GetCheckpointRequest, stream: Stream) -> sui.GetCheckpointResponse:
        height = len(self.ledger.checkpoints) - 1
        sequence = height if request.sequence_number is None and request.digest is None else request.sequence_number
        if sequence is None or not self.lowest_available_checkpoint <= sequence <= height:
            raise Refused(Status.NOT_FOUND, f"Checkpoint {sequence if sequence is not None else request.digest} not found")
        transactions = [self.ledger.transactions[d].proto() for d in self.ledger.checkpoints[sequence]]
        checkpoint = sui.Checkpoint(sequence_number=sequence, digest=f"fake-checkpoint-{sequence}", transactions=transactions)
        return sui.GetCheckpointResponse(checkpoint=masked(checkpoint, request.read_mask, "sequence_number,digest"))

    async def _get_epoch(self, request: sui.GetEpochRequest, stream: Stream) -> sui.GetEpochResponse:
        if request.epoch is not None and request.epoch != self.ledger.epoch:
            raise Refused(Status.NOT_FOUND, f"Epoch {request.epoch} not found")
        epoch = sui.Epoch(epoch=self.ledger.epoch, reference_gas_price=self.ledger.reference_gas_price, first_checkpoint=0)
        return sui.GetEpochResponse(epoch=masked(epoch, request.read_mask, "epoch"))

    # ----- StateService -----

    async def _list_owned(self, request: sui.ListOwnedObjectsRequest, stream: Stream) -> sui.ListOwnedObjectsResponse:
        owner = _object_id(request.owner, "owner")
        wanted = normalize_type(request.object_type) if request.object_type else None
        owned = sorted(
            (o for o in self.ledger.objects.values() if o.owner == owner and _type_matches(o.object_type, wanted)),
            key=lambda o: o.object_id,
        )
        start = 0
        if request.page_token:
            if len(request.page_token) != 8:
                raise Refused(Status.INVALID_ARGUMENT, "invalid page_token")
            start = int.from_bytes(request.page_token, "big")
        size = min(request.page_size or 50, 1000, self.page_size_cap)
        page = owned[start : start + size]
        more = start + size < len(owned)
        return sui.ListOwnedObjectsResponse(
            objects=[masked(o.proto(), request.read_mask, "object_id,version,object_type") for o in page],
            next_page_token=(start + size).to_bytes(8, "big") if more else None,
        )

    # ----- TransactionExecutionService -----

    async def _execute(self, request: sui.ExecuteTransactionRequest, stream: Stream) -> sui.ExecuteTransactionResponse | None:
        if self.drop_next:
            self.drop_next -= 1
            await stream.cancel()
            return None
        if self.stall_before:
            seconds, self.stall_before = self.stall_before, 0.0
            await asyncio.sleep(seconds)
        transaction = request.transaction
        if transaction is None or transaction.bcs is None or not transaction.bcs.value:
            raise Refused(Status.INVALID_ARGUMENT, "transaction: field missing")
        signatures = [s.bcs.value if s.bcs is not None and s.bcs.value else b"" for s in request.signatures]
        record = self.ledger.submit(transaction.bcs.value, signatures)
        reply = sui.ExecuteTransactionResponse(transaction=self._answer(record.proto(), request.read_mask, "effects"))
        if not self.hold_checkpoints and self.ledger.pending:
            self.ledger.seal_checkpoint()
        if self.stall_after:
            seconds, self.stall_after = self.stall_after, 0.0
            await asyncio.sleep(seconds)
        if self.lose_next_reply:
            self.lose_next_reply -= 1
            await stream.cancel()
            return None
        return reply

    def _answer(self, executed: sui.ExecutedTransaction, mask: Any, default: str) -> sui.ExecutedTransaction:
        answer = masked(executed, mask, default)
        if self.hostile_next and answer.effects is not None:
            self.hostile_next -= 1
            answer = sui.ExecutedTransaction.FromString(bytes(answer))  # a copy: the ledger keeps its effects
            answer.effects.status = None
        return answer


class _ClosingServer(Server):
    """grpclib's Server, whose close also drops the open connections, as a node that goes down does."""

    def __init__(self, handlers: list[Any]) -> None:
        super().__init__(handlers)
        self._transports: list[asyncio.BaseTransport] = []

    def _protocol_factory(self) -> H2Protocol:
        protocol = super()._protocol_factory()
        made = protocol.connection_made

        def connection_made(transport: asyncio.BaseTransport) -> None:
            self._transports.append(transport)
            made(transport)

        protocol.connection_made = connection_made  # type: ignore[method-assign]
        return protocol

    def drop_connections(self) -> None:
        for transport in self._transports:
            transport.close()


# ----- what a node does with ids, types and read masks -----


def _object_id(text: str | None, name: str = "object_id") -> str:
    try:
        return normalize_address(text or "")
    except ValueError:
        raise Refused(Status.INVALID_ARGUMENT, f"{name}: invalid address {text!r}") from None


def _type_matches(object_type: str, wanted: str | None) -> bool:
    if wanted is None:
        return True
    have = normalize_type(object_type)
    return have == wanted or ("<" not in wanted and have.startswith(wanted + "<"))


def masked(message: betterproto2.Message, mask: Any, default: str) -> Any:
    """The message cut down to the mask's paths (``*`` for all); INVALID_ARGUMENT for a path it does not have."""
    paths = list(mask.paths) if mask is not None and mask.paths else default.split(",")
    tree: dict[str, dict] = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    _check_paths(type(message), tree, "")
    return _prune(message, tree)


def _check_paths(cls: type, tree: dict[str, dict], prefix: str) -> None:
    if "*" in tree:
        return
    fields = {f.name: f.type for f in cls.__dataclass_fields__.values()}  # type: ignore[attr-defined]
    for name, sub in tree.items():
        if name not in fields:
            raise Refused(Status.INVALID_ARGUMENT, f"invalid read_mask path: {prefix}{name}")
        if sub:
            inner = _message_class(fields[name])
            if inner is None:
                raise Refused(Status.INVALID_ARGUMENT, f"invalid read_mask path: {prefix}{name}.{next(iter(sub))}")
            _check_paths(inner, sub, f"{prefix}{name}.")


def _message_class(annotation: Any) -> type | None:
    text = str(annotation).replace(" | None", "").strip("\"'")
    if text.startswith("list[") and text.endswith("]"):
        text = text[5:-1].strip("\"'")
    found = getattr(sui, text, None)
    return found if isinstance(found, type) and issubclass(found, betterproto2.Message) else None


def _prune(message: Any, tree: dict[str, dict]) -> Any:
    if not tree or "*" in tree:
        return message
    out = type(message)()
    for name, sub in tree.items():
        value = getattr(message, name)
        if sub and value is not None:
            value = [_prune(v, sub) for v in value] if isinstance(value, list) else _prune(value, sub)
        setattr(out, name, value)
    return out
