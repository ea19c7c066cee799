// Checks one of your PeopleCoin trades against the settlement batch that carried it, with the Sui SDK only.
//
//   npm install @mysten/sui          (or run it from tests/sdk, where the project's tests installed it)
//   node verify_trade.mjs <api base url> <trade id> <access token>
//
// It fetches GET /api/v1/trades/{id}/proof and GET /api/v1/settlement/batches/{batch}, then, trusting neither:
//   1. parses the batch's transaction bytes with the SDK (a Sui TransactionData) and reads the trades root,
//      the batch number and the trade count out of its `settlement::record_batch` call;
//   2. recomputes the transaction digest from the bytes and compares it with the batch's;
//   3. verifies the operator's signature over the bytes and that it is the transaction's sender;
//   4. recomputes the Merkle root (RFC 6962, SHA-256) from your trade's leaf and audit path and compares it with
//      the root inside the transaction;
//   5. decodes the leaf, so you see what you are proving: the trade, both wallets, price, quantity, fees.
// What is left is to look the digest up on chain (an explorer, or `sui client tx-block <digest>`): the same
// digest there means these bytes ran, with this root in them.
//
// Prints one JSON object; exits 0 when every check holds, 1 when one fails, 2 on bad usage or a network error.

import { createHash } from "node:crypto";
import { createRequire } from "node:module";

const sdk = createRequire(process.cwd() + "/"); // the SDK installed where this is run from
const { Transaction, TransactionDataBuilder } = await import(sdk.resolve("@mysten/sui/transactions"));
const { verifyTransactionSignature } = await import(sdk.resolve("@mysten/sui/verify"));
const { bcs } = await import(sdk.resolve("@mysten/sui/bcs"));

const [base, tradeId, token] = process.argv.slice(2);
if (!base || !tradeId || !token) {
  console.error("usage: node verify_trade.mjs <api base url> <trade id> <access token>");
  process.exit(2);
}

async function get(path) {
  const response = await fetch(`${base.replace(/\/+$/, "")}/api/v1${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) {
    console.error(`GET ${path}: ${response.status} ${await response.text()}`);
    process.exit(2);
  }
  return response.json();
}

const sha256 = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest();
const hex = (bytes) => Buffer.from(bytes).toString("hex");

// RFC 6962 §2.1.1: the root a leaf at `index` of `size` gives with its audit path, or null if the path cannot fit.
function rootFromPath(leaf, index, size, path) {
  if (index < 0 || index >= size) return null;
  let node = sha256(Buffer.from([0]), leaf);
  let fn = index;
  let sn = size - 1;
  for (const sibling of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      node = sha256(Buffer.from([1]), sibling, node);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      node = sha256(Buffer.from([1]), node, sibling);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? node : null;
}

function uuid(bytes) {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function decodeLeaf(leaf) {
  const u64 = (at) => leaf.readBigUInt64LE(at).toString();
  return {
    trade_id: uuid(leaf.subarray(0, 16)),
    token_id: uuid(leaf.subarray(16, 32)),
    buyer: `0x${hex(leaf.subarray(32, 64))}`,
    seller: `0x${hex(leaf.subarray(64, 96))}`,
    price_micro_usd: u64(96),
    quantity_base_units: u64(104),
    buyer_fee_micro_usd: u64(112),
    seller_fee_micro_usd: u64(120),
  };
}

const proof = await get(`/trades/${tradeId}/proof`);
const batch = await get(`/settlement/batches/${proof.batch}`);
const txBytes = Buffer.from(batch.tx_bytes, "base64");
const checks = {};

// 1. the transaction, parsed by the SDK
const data = Transaction.from(new Uint8Array(txBytes)).getData();
const call = data.commands.find((c) => c.MoveCall && c.MoveCall.module === "settlement" && c.MoveCall.function === "record_batch");
const pure = (argument) => Buffer.from(data.inputs[argument.Input].Pure.bytes, "base64");
const [sequence, root, count] = call
  ? [
      bcs.u64().parse(pure(call.MoveCall.arguments[0])),
      Buffer.from(bcs.vector(bcs.u8()).parse(pure(call.MoveCall.arguments[1]))),
      bcs.u64().parse(pure(call.MoveCall.arguments[2])),
    ]
  : [null, Buffer.alloc(0), null];
checks.record_batch_call = Boolean(call);
checks.batch_number = sequence === String(batch.sequence);
checks.trade_count = count === String(batch.trade_count) && Number(count) === proof.tree_size;
checks.root_in_transaction = hex(root) === batch.trades_root && hex(root) === proof.trades_root;

// 2. the digest
checks.digest = TransactionDataBuilder.getDigestFromBytes(new Uint8Array(txBytes)) === batch.digest && batch.digest === proof.digest;

// 3. the operator's signature, and that the operator sent it
try {
  const publicKey = await verifyTransactionSignature(new Uint8Array(txBytes), batch.signature);
  checks.signature = publicKey.toSuiAddress() === batch.operator_address && data.sender === batch.operator_address;
} catch {
  checks.signature = false;
}

// 4. the trade's leaf is in the tree whose root the transaction carries
const leaf = Buffer.from(proof.leaf, "hex");
const computed = rootFromPath(leaf, proof.leaf_index, proof.tree_size, proof.audit_path.map((node) => Buffer.from(node, "hex")));
checks.merkle_proof = computed !== null && computed.equals(root);

// 5. what the leaf says
const trade = decodeLeaf(leaf);
checks.leaf_is_this_trade = trade.trade_id === tradeId.toLowerCase();

const ok = Object.values(checks).every(Boolean);
console.log(JSON.stringify({ ok, checks, trade, batch: batch.sequence, digest: batch.digest, status: batch.status }, null, 2));
process.exit(ok ? 0 : 1);
