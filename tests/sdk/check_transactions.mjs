// Reads settlement transactions made by PeopleCoin's Python code with the real Sui TypeScript SDK.
//
// Usage: node tests/sdk/check_transactions.mjs < cases.json
//
// Input: {"cases": [{"name", "tx_bytes", "signature", "secret_key", "tampered": [{"what", "tx_bytes", "signature"}]}]}
// with bytes in standard base64 and the signer's key as `suiprivkey1…`.
//
// For each case the SDK: parses the bytes (bcs.TransactionData), serializes them back, loads them into a
// Transaction and builds it again, computes the digest, verifies the signature (verifyTransactionSignature)
// and names the signer, signs the same bytes with the same key, and decodes every command with the pure
// arguments read by its own BCS types. Each tampered variant is verified too; it must fail.
// Prints one JSON object on stdout and exits 0; the Python test
// (tests/contract/test_sui_sdk_transactions.py) judges it. Non-zero only on a crash, with the error on stderr.

import { bcs } from "@mysten/sui/bcs";
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Secp256k1Keypair } from "@mysten/sui/keypairs/secp256k1";
import { Secp256r1Keypair } from "@mysten/sui/keypairs/secp256r1";
import { Transaction, TransactionDataBuilder } from "@mysten/sui/transactions";
import { fromBase64, toBase64, toHex } from "@mysten/sui/utils";
import { verifyTransactionSignature } from "@mysten/sui/verify";

const KEYPAIRS = { ED25519: Ed25519Keypair, Secp256k1: Secp256k1Keypair, Secp256r1: Secp256r1Keypair };

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

// BigInt and byte arrays as JSON can carry them: decimal strings and hex.
function plain(value) {
  return JSON.parse(
    JSON.stringify(value, (_key, v) =>
      typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v,
    ),
  );
}

async function outcome(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error: String(error?.message ?? error) };
  }
}

function pureBytes(inputs, argument) {
  const input = inputs[argument.Input];
  if (!input?.Pure) throw new Error(`argument ${JSON.stringify(argument)} is not a pure input`);
  return fromBase64(input.Pure.bytes);
}

// Every command as the SDK reads it, with its pure arguments decoded by the Move types the contract declares.
function decodeCommands(data) {
  const { inputs, commands } = data.kind.ProgrammableTransaction;
  return commands.map((command) => {
    const call = command.MoveCall;
    if (!call) return { kind: Object.keys(command)[0] };
    const decoded = {
      kind: "MoveCall",
      package: call.package,
      module: call.module,
      function: call.function,
      type_arguments: call.typeArguments,
      arguments: call.arguments,
    };
    if (call.function === "record_batch") {
      const [sequence, root, count] = call.arguments;
      decoded.sequence = bcs.u64().parse(pureBytes(inputs, sequence));
      decoded.trades_root = toHex(new Uint8Array(bcs.vector(bcs.u8()).parse(pureBytes(inputs, root))));
      decoded.trade_count = bcs.u64().parse(pureBytes(inputs, count));
    } else if (call.function === "withdraw") {
      const [vault, amount, recipient] = call.arguments;
      decoded.vault = plain(inputs[vault.Input]);
      decoded.amount = bcs.u64().parse(pureBytes(inputs, amount));
      decoded.recipient = bcs.Address.parse(pureBytes(inputs, recipient));
    }
    return decoded;
  });
}

async function check(entry) {
  const bytes = fromBase64(entry.tx_bytes);
  const result = { name: entry.name };

  const parsed = await outcome(() => bcs.TransactionData.parse(bytes));
  result.parse = parsed.ok ? { ok: true } : parsed;
  if (parsed.ok) {
    const data = parsed.value.V1;
    result.sender = data.sender;
    result.gas = plain(data.gasData);
    result.expiration = plain(data.expiration);
    result.input_kinds = data.kind.ProgrammableTransaction.inputs.map((input) => Object.keys(input)[0]);
    result.commands = plain(decodeCommands(data));
    result.reserialized = toBase64(bcs.TransactionData.serialize(parsed.value).toBytes());
  }
  result.rebuilt = await outcome(async () => toBase64(await Transaction.from(bytes).build()));
  result.digest = TransactionDataBuilder.getDigestFromBytes(bytes);

  const signer = await outcome(async () => (await verifyTransactionSignature(bytes, entry.signature)).toSuiAddress());
  result.signer = signer.ok ? signer.value : null;
  result.verify_error = signer.ok ? null : signer.error;

  const { scheme } = decodeSuiPrivateKey(entry.secret_key);
  const keypair = KEYPAIRS[scheme].fromSecretKey(entry.secret_key);
  result.sdk_scheme = scheme;
  result.sdk_address = keypair.toSuiAddress();
  result.sdk_signature = (await keypair.signTransaction(bytes)).signature;

  result.tampered = [];
  for (const variant of entry.tampered ?? []) {
    const verdict = await outcome(async () =>
      (await verifyTransactionSignature(fromBase64(variant.tx_bytes), variant.signature)).toSuiAddress(),
    );
    result.tampered.push({ what: variant.what, verified: verdict.ok, signer: verdict.value ?? null, error: verdict.error ?? null });
  }
  return result;
}

const { cases } = JSON.parse(await readStdin());
const results = [];
for (const entry of cases) results.push(await check(entry));
process.stdout.write(JSON.stringify({ results }) + "\n");
