"""The fake Sui node as a process of its own, for a server to settle on (tests/e2e/test_sui_settlement.py).

    python -m tests.fakes.run_sui_node --operator 0x… --token <uuid>=<vault balance> \
        --deposit 0x<sender>=<micro-USD> --out <file>

It publishes the package, gives the operator a gas coin, makes a vault for USD and for each ``--token`` (holding
the balance given: a token's minted supply), records each ``--deposit`` as a ``vault::Deposited`` event in a
sealed checkpoint (the USD vault credited), starts serving gRPC on 127.0.0.1, and writes to ``--out`` one JSON
object: its ``url`` and the ``deployment`` (PEOPLECOIN_SUI_DEPLOYMENT) that names those vaults. Runs until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from uuid import UUID

from tests.fakes.sui_node import FakeSuiNode

PACKAGE = "0x" + "a1" * 32
USD_TYPE = "0x" + "b2" * 32 + "::usdc::USDC"


def u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


async def serve(operator: str, tokens: dict[UUID, int], deposits: list[tuple[str, int]], out: Path) -> None:
    node = FakeSuiNode()
    ledger = node.ledger
    ledger.add_package(PACKAGE)
    usd_vault = "0x" + "d4" * 32
    vaults = {"USD": {"object_id": usd_vault, "initial_shared_version": 3, "coin_type": USD_TYPE}}
    ledger.add_shared(usd_vault, f"{PACKAGE}::vault::Vault<{USD_TYPE}>", u64(0), initial_version=3)
    for n, (token, balance) in enumerate(sorted(tokens.items())):
        object_id, coin_type = "0x" + f"{0xE5000 + n:064x}", f"0x{'c3' * 32}::t{token.hex}::T{token.hex.upper()}"
        ledger.add_shared(object_id, f"{PACKAGE}::vault::Vault<{coin_type}>", u64(balance), initial_version=4)
        vaults[str(token)] = {"object_id": object_id, "initial_shared_version": 4, "coin_type": coin_type}
    ledger.add_coin(operator, 50_000_000_000)
    for sender, amount in deposits:
        deposited = (f"{PACKAGE}::vault::Deposited<{USD_TYPE}>", bytes.fromhex(sender[2:]) + u64(amount))
        ledger.record_events(sender, [deposited], credit={usd_vault: amount})
    node.seal_checkpoint()
    url = await node.start()
    out.write_text(json.dumps({"url": url, "deployment": {"package": PACKAGE, "vaults": vaults}}))
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operator", required=True)
    parser.add_argument("--token", action="append", default=[], help="<token uuid>=<vault balance in base units>")
    parser.add_argument("--deposit", action="append", default=[], help="0x<sender>=<micro-USD>")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    tokens = {UUID(t.split("=")[0]): int(t.split("=")[1]) for t in args.token}
    deposits = [(d.split("=")[0], int(d.split("=")[1])) for d in args.deposit]
    asyncio.run(serve(args.operator, tokens, deposits, args.out))


if __name__ == "__main__":
    main()
