"""What the custody reads answer when the chain cannot: an asset without a vault is left out of /custody and not
found on its own, and a chain that does not answer, or answers nonsense, is 503 for the reader, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.sui.deployment import UnknownAsset
from adapters.sui.errors import MalformedAnswer
from application.errors import ServiceUnavailable
from application.ports import ChainUnavailable, Vault
from application.settlement.queries import ChainNotAnswering, PoolNotConfigured, SettlementQueries, VaultNotFound
from domain.shared.money import USD

TOKEN = "5d6f0a4e-8c1b-4f7e-9a3d-2b1c0e9f8a7b"


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 12, 1, tzinfo=UTC)


class Chain:
    """Vaults for USD only; ``failing`` makes every read raise it."""

    def __init__(self, failing: Exception | None = None) -> None:
        self.failing = failing

    async def vault(self, asset: str) -> Vault:
        if self.failing is not None:
            raise self.failing
        if asset != USD:
            raise UnknownAsset(f"no vault for {asset}")
        return Vault(USD, "0x" + "d4" * 32, "0x2::usdc::USDC", 70)

    async def pool(self, token_id: object) -> None:
        if self.failing is not None:
            raise self.failing
        return None


def queries(chain: Chain) -> SettlementQueries:
    return SettlementQueries(None, chain, Clock(), None)  # type: ignore[arg-type]


async def test_an_asset_without_a_vault_is_left_out_of_custody_and_not_found_alone() -> None:
    found = await queries(Chain()).custody([USD, TOKEN], {USD: 70, TOKEN: 5})
    assert [(c.vault.asset, c.vault.balance, c.liabilities) for c in found] == [(USD, 70, 70)]
    with pytest.raises(VaultNotFound):
        await queries(Chain()).vault(TOKEN, 5)
    with pytest.raises(PoolNotConfigured):
        await queries(Chain()).pool(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("failing", [ChainUnavailable("timed out"), MalformedAnswer("a vault of 3 bytes")])
async def test_a_chain_that_cannot_be_read_is_service_unavailable(failing: Exception) -> None:
    for read in (lambda q: q.custody([USD], {}), lambda q: q.vault(USD, 0), lambda q: q.pool(None)):
        with pytest.raises(ChainNotAnswering) as raised:
            await read(queries(Chain(failing)))
        assert isinstance(raised.value, ServiceUnavailable) and raised.value.code == "chain_unavailable"
