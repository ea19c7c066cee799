"""The state behind the fake Sui node: objects with versions, executed transactions, checkpoints.

It checks a submitted transaction as a Sui node does before executing it, and
refuses it with the status a node gives (``Refused``): the bytes must parse as
a ``TransactionData`` V1 with pysui's BCS types; there must be one Ed25519
signature over blake2b-256(intent 0,0,0 ‖ bytes) whose key is the sender's
(the ``UserSignature`` BCS is taken bare or length-prefixed, as the proto
allows); the gas coins must be the sender's SUI coins at their current
version and digest and hold the budget; the price must reach the reference
gas price; shared inputs must exist at their initial shared version, once
each; called packages must exist. A digest executed before is answered from
memory, never executed twice (``answer_repeats = False`` makes a repeat meet
its own spent gas coin instead, the refusal a node gives when it does not
look up the digest first).

Execution stands in for the PeopleCoin Move package: ``settlement::
record_batch(u64, vector<u8>, u64)`` emits ``BatchRecorded``,
``vault::withdraw<T>(&mut Vault<T>, u64, address)`` takes from the vault
(aborting when it holds too little, or with a wrong ``T``); anything else
fails with FUNCTION_NOT_FOUND. Gas is charged either way; every mutable
input moves to the transaction's lamport version with a new digest, as on Sui.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import base58
import pysui.sui.sui_grpc.suimsgs.sui.rpc.v2 as sui
from grpclib.const import Status
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from pysui.sui.sui_bcs import bcs

from adapters.sui.move_values import SUI_COIN_TYPE, normalize_address, normalize_type

Kind = sui.ExecutionErrorExecutionErrorKind
GAS_UNITS = 1_000  # what every transaction costs here, in gas units


class Refused(Exception):
    """What the node answers instead of executing: a gRPC status and its message."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(f"{status.name}: {message}")
        self.status = status
        self.message = message


def sui_digest(prefix: bytes, data: bytes) -> str:
    return base58.b58encode(hashlib.blake2b(prefix + data, digest_size=32).digest()).decode()


def _b58_32(text: str) -> bytes | None:
    try:
        raw = base58.b58decode(text)
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


def valid_digest(text: str | None) -> bool:
    return bool(text) and _b58_32(text) is not None


@dataclass
class FakeObject:
    object_id: str
    version: int
    object_type: str
    contents: bytes
    owner: str | None = None  # an address; None when shared
    initial_shared_version: int | None = None
    previous_transaction: str | None = None
    digest: str = ""

    def __post_init__(self) -> None:
        self.object_id = normalize_address(self.object_id)
        self.touch(self.version, self.previous_transaction)

    def touch(self, version: int, by: str | None) -> None:
        self.version = version
        self.previous_transaction = by
        self.digest = sui_digest(b"Object::", bytes.fromhex(self.object_id[2:]) + version.to_bytes(8, "little") + self.contents)

    @property
    def is_sui_coin(self) -> bool:
        return normalize_type(self.object_type) == normalize_type(SUI_COIN_TYPE)

    @property
    def u64_after_id(self) -> int:
        return int.from_bytes(self.contents[32:40], "little")

    def with_u64_after_id(self, value: int) -> bytes:
        return self.contents[:32] + value.to_bytes(8, "little") + self.contents[40:]

    def proto(self) -> sui.Object:
        if self.owner is not None:
            owner = sui.Owner(kind=sui.OwnerOwnerKind.ADDRESS, address=self.owner)
        else:
            owner = sui.Owner(kind=sui.OwnerOwnerKind.SHARED, version=self.initial_shared_version)
        is_coin = normalize_type(self.object_type).startswith(normalize_type("0x2::coin::Coin<"))
        return sui.Object(
            object_id=self.object_id,
            version=self.version,
            digest=self.digest,
            owner=owner,
            object_type=self.object_type,
            contents=sui.Bcs(name=self.object_type, value=self.contents),
            previous_transaction=self.previous_transaction,
            balance=self.u64_after_id if is_coin and len(self.contents) == 40 else None,
        )


@dataclass
class FakeTransaction:
    digest: str
    tx_bytes: bytes
    signatures: list[bytes]
    effects: sui.TransactionEffects
    events: list[sui.Event]
    checkpoint: int | None = None
    index: int | None = None

    def proto(self) -> sui.ExecutedTransaction:
        return sui.ExecutedTransaction(
            digest=self.digest,
            transaction=sui.Transaction(bcs=sui.Bcs(name="TransactionData", value=self.tx_bytes), digest=self.digest),
            signatures=[sui.UserSignature(bcs=sui.Bcs(name="UserSignature", value=s)) for s in self.signatures],
            effects=self.effects,
            events=sui.TransactionEvents(events=list(self.events)) if self.events else None,
            checkpoint=self.checkpoint,
            transaction_index=self.index,
        )


@dataclass
class _Failure:
    kind: Kind
    command: int
    description: str


@dataclass
class FakeLedger:
    reference_gas_price: int = 1_000
    epoch: int = 42
    objects: dict[str, FakeObject] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)
    transactions: dict[str, FakeTransaction] = field(default_factory=dict)
    checkpoints: list[list[str]] = field(default_factory=lambda: [[]])  # 0: genesis
    pending: list[str] = field(default_factory=list)
    fail_next: int = 0
    answer_repeats: bool = True  # False: a repeat meets its own consumed gas (INVALID_ARGUMENT), as some paths may
    executions: int = 0
    _serial: int = 0

    # ----- setting the scene -----

    def _next_id(self) -> str:
        self._serial += 1
        return "0x" + hashlib.blake2b(b"fake-object" + self._serial.to_bytes(8, "big"), digest_size=32).hexdigest()

    def add_package(self, package_id: str) -> None:
        self.packages.add(normalize_address(package_id))

    def add_coin(self, owner: str, balance: int, object_type: str = SUI_COIN_TYPE) -> FakeObject:
        object_id = self._next_id()
        contents = bytes.fromhex(object_id[2:]) + balance.to_bytes(8, "little")
        obj = FakeObject(object_id, 1, object_type, contents, owner=normalize_address(owner))
        self.objects[obj.object_id] = obj
        return obj

    def add_shared(self, object_id: str, object_type: str, fields: bytes, initial_version: int = 1) -> FakeObject:
        contents = bytes.fromhex(normalize_address(object_id)[2:]) + fields
        obj = FakeObject(object_id, initial_version, object_type, contents, initial_shared_version=initial_version)
        self.objects[obj.object_id] = obj
        return obj

    # ----- checks and execution -----

    def submit(self, tx_bytes: bytes, signatures: list[bytes]) -> FakeTransaction:
        try:
            data = bcs.TransactionData.deserialize(tx_bytes)
        except Exception as exc:  # canoser raises whatever its decoders raise
            raise Refused(Status.INVALID_ARGUMENT, f"invalid transaction: {exc}") from None
        v1 = data.value
        if v1.TransactionKind.enum_name != "ProgrammableTransaction":
            raise Refused(Status.INVALID_ARGUMENT, "invalid transaction: only programmable transactions are accepted")
        digest = sui_digest(b"TransactionData::", tx_bytes)
        sender = v1.Sender.to_address_str()
        self._check_signatures(tx_bytes, sender, signatures)
        if digest in self.transactions and self.answer_repeats:
            return self.transactions[digest]
        gas = self._check_gas(sender, v1.GasData)
        shared = self._check_inputs(v1.TransactionKind.value.Inputs)
        for command in v1.TransactionKind.value.Command:
            if command.enum_name == "MoveCall" and command.value.Package.to_address_str() not in self.packages:
                raise Refused(Status.INVALID_ARGUMENT, "Transaction execution failed due to issues with transaction "
                              f"inputs: Dependent package not found on-chain: {command.value.Package.to_address_str()}")
        return self._execute(digest, tx_bytes, signatures, v1, gas, shared)

    def _check_signatures(self, tx_bytes: bytes, sender: str, signatures: list[bytes]) -> None:
        if len(signatures) != 1:
            raise Refused(Status.INVALID_ARGUMENT, f"Invalid user signature: expected 1 signature, got {len(signatures)}")
        raw = signatures[0]
        if raw and raw[0] > 0x06 and len(raw) > 1:  # a BCS vector<u8>: ULEB128 length first
            length, shift, i = 0, 0, 0
            while i < len(raw) and raw[i] & 0x80:
                length |= (raw[i] & 0x7F) << shift
                shift, i = shift + 7, i + 1
            if i < len(raw):
                length |= raw[i] << shift
                raw = raw[i + 1 :] if length == len(raw) - i - 1 else raw
        if len(raw) != 97 or raw[0] != 0x00:
            raise Refused(Status.INVALID_ARGUMENT, "Invalid user signature: the fake node takes Ed25519 (97 bytes, flag 0)")
        public_key = raw[65:]
        signer = "0x" + hashlib.blake2b(b"\x00" + public_key, digest_size=32).hexdigest()
        if signer != sender:
            raise Refused(Status.INVALID_ARGUMENT, f"Invalid user signature: signer {signer} is not the sender {sender}")
        message = hashlib.blake2b(b"\x00\x00\x00" + tx_bytes, digest_size=32).digest()
        try:
            VerifyKey(public_key).verify(message, raw[1:65])
        except BadSignatureError:
            raise Refused(Status.INVALID_ARGUMENT, "Invalid user signature: the signature does not verify") from None

    def _check_gas(self, sender: str, gas: bcs.GasData) -> list[FakeObject]:
        if gas.Owner.to_address_str() != sender:
            raise Refused(Status.INVALID_ARGUMENT, "Invalid user signature: a sponsored transaction needs 2 signatures")
        if gas.Price < self.reference_gas_price:
            raise Refused(Status.INVALID_ARGUMENT, f"Gas price {gas.Price} under reference gas price (RGP) "
                          f"{self.reference_gas_price}")
        if not gas.Payment:
            raise Refused(Status.INVALID_ARGUMENT, "Missing gas payment")
        coins = []
        for ref in gas.Payment:
            object_id, version, digest = ref.ObjectID.to_address_str(), ref.SequenceNumber, ref.ObjectDigest.to_digest_str()
            coin = self.objects.get(object_id)
            if coin is None:
                raise Refused(Status.INVALID_ARGUMENT, f"Could not find the referenced object {object_id} at version {version}")
            if (coin.version, coin.digest) != (version, digest):
                raise Refused(Status.INVALID_ARGUMENT, f"Object ID {object_id} Version {version} Digest {digest} is not "
                              f"available for consumption, current version: {coin.version}")
            if coin.owner != sender or not coin.is_sui_coin:
                raise Refused(Status.INVALID_ARGUMENT, f"Gas object {object_id} is not a SUI coin owned by {sender}")
            coins.append(coin)
        if sum(c.u64_after_id for c in coins) < gas.Budget:
            raise Refused(Status.INVALID_ARGUMENT, f"Balance of gas object {coins[0].object_id} is lower than the "
                          f"needed amount: {gas.Budget}")
        if gas.Price * GAS_UNITS > gas.Budget:
            raise Refused(Status.INVALID_ARGUMENT, f"Gas budget {gas.Budget} is below the cost {gas.Price * GAS_UNITS}")
        return coins

    def _check_inputs(self, inputs: list[bcs.CallArg]) -> dict[int, FakeObject]:
        shared: dict[int, FakeObject] = {}
        seen: set[str] = set()
        for index, arg in enumerate(inputs):
            if arg.enum_name != "Object":
                continue
            if arg.value.enum_name != "SharedObject":
                raise Refused(Status.INVALID_ARGUMENT, "the fake node takes shared objects only as object inputs")
            ref = arg.value.value
            object_id = ref.ObjectID.to_address_str()
            obj = self.objects.get(object_id)
            if obj is None or obj.initial_shared_version is None:
                raise Refused(Status.INVALID_ARGUMENT, f"Could not find the referenced shared object {object_id}")
            if obj.initial_shared_version != ref.SequenceNumber:
                raise Refused(Status.INVALID_ARGUMENT, f"Shared object {object_id} was shared at version "
                              f"{obj.initial_shared_version}, not {ref.SequenceNumber}")
            if object_id in seen:
                raise Refused(Status.INVALID_ARGUMENT, f"Mutable object {object_id} cannot appear more than once")
            seen.add(object_id)
            shared[index] = obj
        return shared

    def _execute(self, digest: str, tx_bytes: bytes, signatures: list[bytes], v1, gas: list[FakeObject],
                 shared: dict[int, FakeObject]) -> FakeTransaction:
        ptb = v1.TransactionKind.value
        balances = {index: obj.u64_after_id for index, obj in shared.items()}
        events: list[sui.Event] = []
        failure = None
        if self.fail_next:
            self.fail_next -= 1
            failure = _Failure(Kind.MOVE_ABORT, 0, "injected failure (fail_next)")
        else:
            for number, command in enumerate(ptb.Command):
                failure = self._run(number, command, ptb.Inputs, shared, balances, events, v1.Sender.to_address_str())
                if failure is not None:
                    break
        lamport = max([c.version for c in gas] + [o.version for o in shared.values()]) + 1
        cost = v1.GasData.Price * GAS_UNITS
        changed = []
        total = sum(c.u64_after_id for c in gas)
        gas[0].contents = gas[0].with_u64_after_id(total - cost)
        for coin in gas[1:]:  # merged into the first, as Sui smashes gas coins
            changed.append(_changed(coin, coin.version, lamport, deleted=True))
            del self.objects[coin.object_id]
        for index, obj in shared.items():
            if failure is None:
                obj.contents = obj.with_u64_after_id(balances[index])
        for obj in [gas[0], *shared.values()]:
            before = obj.version
            obj.touch(lamport, digest)
            changed.append(_changed(obj, before, lamport))
        status = sui.ExecutionStatus(success=failure is None)
        if failure is not None:
            status.error = sui.ExecutionError(description=failure.description, command=failure.command, kind=failure.kind)
            events = []
        effects = sui.TransactionEffects(
            version=2,
            status=status,
            epoch=self.epoch,
            gas_used=sui.GasCostSummary(computation_cost=cost, storage_cost=0, storage_rebate=0, non_refundable_storage_fee=0),
            transaction_digest=digest,
            gas_object=changed[len(gas) - 1],
            events_digest=sui_digest(b"TransactionEvents::", digest.encode()) if events else None,
            lamport_version=lamport,
            changed_objects=changed,
        )
        record = FakeTransaction(digest, tx_bytes, list(signatures), effects, events)
        self.transactions[digest] = record
        self.pending.append(digest)
        self.executions += 1
        return record

    def _run(self, number: int, command, inputs, shared, balances, events, sender) -> _Failure | None:
        if command.enum_name != "MoveCall":
            return _Failure(Kind.FEATURE_NOT_YET_SUPPORTED, number, f"the fake node does not run {command.enum_name}")
        call = command.value
        package = call.Package.to_address_str()
        args = []
        for argument in call.Arguments:
            if argument.enum_name != "Input" or argument.value >= len(inputs):
                return _Failure(Kind.COMMAND_ARGUMENT_ERROR, number, "arguments must be inputs")
            args.append(argument.value)

        def pure(i: int, size: int | None) -> bytes | None:
            arg = inputs[args[i]]
            if arg.enum_name != "Pure":
                return None
            data = bytes(arg.value)
            return data if size is None or len(data) == size else None

        if (call.Module, call.Function) == ("settlement", "record_batch"):
            sequence, root, count = (pure(0, 8), pure(1, None), pure(2, 8)) if len(args) == 3 else (None, None, None)
            if sequence is None or root is None or count is None or root[:1] != bytes([len(root) - 1]) or len(root) != 33:
                return _Failure(Kind.COMMAND_ARGUMENT_ERROR, number, "record_batch(u64, vector<u8> of 32, u64)")
            events.append(_event(package, "settlement", f"{package}::settlement::BatchRecorded", sender, sequence + root[1:] + count))
            return None
        if (call.Module, call.Function) == ("vault", "withdraw"):
            if len(args) != 3 or args[0] not in shared or pure(1, 8) is None or pure(2, 32) is None:
                return _Failure(Kind.COMMAND_ARGUMENT_ERROR, number, "withdraw(&mut Vault<T>, u64, address)")
            vault = shared[args[0]]
            coin_type = call.Type_Arguments[0].type_tag_to_str() if len(call.Type_Arguments) == 1 else ""
            if normalize_type(vault.object_type) != normalize_type(f"{package}::vault::Vault<{coin_type}>"):
                return _Failure(Kind.TYPE_ARGUMENT_ERROR, number, f"{vault.object_id} is not a Vault<{coin_type}>")
            amount = int.from_bytes(pure(1, 8), "little")
            if balances[args[0]] < amount:
                return _Failure(Kind.MOVE_ABORT, number, f"vault::withdraw aborted: {amount} asked, "
                                f"{balances[args[0]]} held")
            balances[args[0]] -= amount
            events.append(_event(package, "vault", f"{package}::vault::Withdrawn<{coin_type}>", sender,
                                 pure(2, 32) + pure(1, 8)))
            return None
        return _Failure(Kind.FUNCTION_NOT_FOUND, number, f"{package}::{call.Module}::{call.Function} not found")

    # ----- transactions that come from elsewhere (deposits) -----

    def record_events(self, sender: str, events: list[tuple[str, bytes]], credit: dict[str, int] | None = None) -> str:
        """A transaction some wallet sent: its events as (type, BCS contents); ``credit`` adds to vault balances."""
        self._serial += 1
        digest = sui_digest(b"fake-transaction", self._serial.to_bytes(8, "big"))
        for object_id, amount in (credit or {}).items():
            vault = self.objects[normalize_address(object_id)]
            vault.contents = vault.with_u64_after_id(vault.u64_after_id + amount)
            vault.touch(vault.version + 1, digest)
        protos = []
        for event_type, contents in events:
            package, module = event_type.split("::")[:2]
            protos.append(_event(package, module, event_type, sender, contents))
        effects = sui.TransactionEffects(version=2, status=sui.ExecutionStatus(success=True), epoch=self.epoch,
                                         transaction_digest=digest)
        self.transactions[digest] = FakeTransaction(digest, b"", [], effects, protos)
        self.pending.append(digest)
        return digest

    def seal_checkpoint(self) -> int:
        sequence = len(self.checkpoints)
        for index, digest in enumerate(self.pending):
            self.transactions[digest].checkpoint = sequence
            self.transactions[digest].index = index
        self.checkpoints.append(self.pending)
        self.pending = []
        return sequence


def _changed(obj: FakeObject, before: int, after: int, deleted: bool = False) -> sui.ChangedObject:
    owner = sui.Owner(kind=sui.OwnerOwnerKind.ADDRESS, address=obj.owner) if obj.owner else sui.Owner(
        kind=sui.OwnerOwnerKind.SHARED, version=obj.initial_shared_version)
    return sui.ChangedObject(
        object_id=obj.object_id,
        input_state=sui.ChangedObjectInputObjectState.EXISTS,
        input_version=before,
        input_owner=owner,
        output_state=sui.ChangedObjectOutputObjectState.DOES_NOT_EXIST if deleted
        else sui.ChangedObjectOutputObjectState.OBJECT_WRITE,
        output_version=None if deleted else after,
        output_digest=None if deleted else obj.digest,
        output_owner=None if deleted else owner,
        id_operation=sui.ChangedObjectIdOperation.DELETED if deleted else sui.ChangedObjectIdOperation.NONE,
        object_type=obj.object_type,
    )


def _event(package: str, module: str, event_type: str, sender: str, contents: bytes) -> sui.Event:
    return sui.Event(package_id=normalize_address(package), module=module, sender=sender,
                     event_type=normalize_type(event_type), contents=sui.Bcs(name=event_type, value=contents))
