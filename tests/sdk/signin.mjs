// Signs in to PeopleCoin with the real Sui TypeScript SDK, once per key scheme.
//
// Usage: node tests/sdk/signin.mjs <base_url>
//
// For each scheme: a fresh keypair, POST /auth/nonce, signPersonalMessage on the
// issued message, POST /auth/verify, GET /users/me, then the same verify again
// (a replay). Prints one JSON object with every status and body on stdout and
// exits 0; the Python test (tests/e2e/test_sui_sdk_signin.py) judges them.
// Exits non-zero only on a crash (network or SDK error), with the error on stderr.

import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Secp256k1Keypair } from "@mysten/sui/keypairs/secp256k1";
import { Secp256r1Keypair } from "@mysten/sui/keypairs/secp256r1";

const SCHEMES = { Ed25519: Ed25519Keypair, Secp256k1: Secp256k1Keypair, Secp256r1: Secp256r1Keypair };

const baseUrl = process.argv[2];
if (!baseUrl) {
  console.error("usage: node tests/sdk/signin.mjs <base_url>");
  process.exit(2);
}
const api = `${baseUrl.replace(/\/+$/, "")}/api/v1`;

async function call(method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(api + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text; // not JSON: keep the raw text so the test can show it
  }
  return { status: response.status, body: parsed };
}

async function signIn(scheme, Keypair) {
  const keypair = Keypair.generate();
  const address = keypair.toSuiAddress();
  const result = { scheme, address };
  for (const step of ["nonce", "verify", "me", "replay"]) {
    result[`${step}_status`] = null;
    result[`${step}_body`] = null;
  }

  const nonce = await call("POST", "/auth/nonce", { body: { address } });
  result.nonce_status = nonce.status;
  result.nonce_body = nonce.body;
  if (nonce.status !== 200) return result; // nothing to sign: the other steps stay null

  const { message } = nonce.body;
  const { signature } = await keypair.signPersonalMessage(new TextEncoder().encode(message));
  const verifyBody = { address, message, signature };

  const verify = await call("POST", "/auth/verify", { body: verifyBody });
  result.verify_status = verify.status;
  result.verify_body = verify.body;

  const me = await call("GET", "/users/me", { token: verify.body?.access_token });
  result.me_status = me.status;
  result.me_body = me.body;

  const replay = await call("POST", "/auth/verify", { body: verifyBody });
  result.replay_status = replay.status;
  result.replay_body = replay.body;
  return result;
}

const results = [];
for (const [scheme, Keypair] of Object.entries(SCHEMES)) {
  results.push(await signIn(scheme, Keypair));
}
process.stdout.write(JSON.stringify({ results }) + "\n");
