"""Where PeopleCoin lives on chain: its Move package and, per asset, the vault and the coin type.

A real deployment comes from configuration, ``PEOPLECOIN_SUI_DEPLOYMENT`` (JSON)::

    {"package": "0x…",
     "vaults": {"USD": {"object_id": "0x…", "initial_shared_version": 7, "coin_type": "0x…::usdc::USDC"},
                "<token uuid>": {…}}}

The local ledger needs none: ``Deployment.local()`` has a fixed package and USD
vault, and gives any token a vault and a coin type derived from its id alone
(``{package}::t_<hex>::T_<HEX>``), so a token listed tomorrow settles without
anyone editing configuration, and the coin type names its token back.

Addresses and coin types are kept normalized (``0x`` + 64 lower-case hex), the
form the chain and the SDK print, so a coin type read from a transaction maps
back to its asset by plain comparison.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from uuid import UUID

from adapters.sui.encoding import U64_MAX, normalized_address
from application.ports import VaultNotConfigured
from domain.shared.money import USD

_IDENTIFIER = r"(?:[A-Za-z][A-Za-z0-9_]*|_[A-Za-z0-9_]+)"
_COIN_TYPE = re.compile(rf"(0x[0-9a-fA-F]{{1,64}})::({_IDENTIFIER})::({_IDENTIFIER})")
_LOCAL_TOKEN_MODULE = re.compile(r"t_([0-9a-f]{32})")
_VAULT_FIELDS = {"object_id", "initial_shared_version", "coin_type"}


class UnknownAsset(VaultNotConfigured, ValueError):
    """An asset the deployment has no vault for."""


@dataclass(frozen=True, slots=True)
class VaultConfig:
    """One asset's vault: a shared object (id and the version it became shared at) holding ``coin_type``."""

    object_id: str
    initial_shared_version: int
    coin_type: str  # a Move struct tag, 0x…::module::Name


@dataclass(frozen=True, slots=True)
class Deployment:
    package: str
    vaults: Mapping[str, VaultConfig] = field(default_factory=dict)
    derives_token_vaults: bool = False
    """The local ledger's rule: a token with no configured vault gets one derived from its id."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "package", normalized_address(self.package))
        vaults = {
            asset: VaultConfig(normalized_address(v.object_id), v.initial_shared_version, normalized_coin_type(v.coin_type))
            for asset, v in self.vaults.items()
        }
        object.__setattr__(self, "vaults", MappingProxyType(vaults))

    def vault(self, asset: str) -> VaultConfig:
        """The asset's vault ("USD" or a token id as ``str(UUID)``); UnknownAsset when it has none."""
        found = self.vaults.get(asset)
        if found is not None:
            return found
        if self.derives_token_vaults and _is_token_id(asset):
            hexed = UUID(asset).hex
            return VaultConfig(
                _local_object_id(f"vault:{asset}"), _LOCAL_SHARED_VERSION, f"{self.package}::t_{hexed}::T_{hexed.upper()}"
            )
        raise UnknownAsset(f"no vault is configured for asset {asset!r}")

    def asset_of(self, coin_type: str) -> str | None:
        """The asset whose vault holds ``coin_type`` (normalized), None when no vault does."""
        for asset, vault in self.vaults.items():
            if vault.coin_type == coin_type:
                return asset
        if self.derives_token_vaults:
            package, _, rest = coin_type.partition("::")
            module, _, _name = rest.partition("::")
            matched = _LOCAL_TOKEN_MODULE.fullmatch(module)
            if package == self.package and matched:
                asset = str(UUID(hex=matched.group(1)))
                if self.vault(asset).coin_type == coin_type:
                    return asset
        return None

    @classmethod
    def local(cls) -> Deployment:
        """The local ledger's fixed package and USD vault; every token's vault derived from its id."""
        package = _local_object_id("package")
        usd = VaultConfig(_local_object_id(f"vault:{USD}"), _LOCAL_SHARED_VERSION, f"{package}::usd::USD")
        return cls(package, {USD: usd}, derives_token_vaults=True)

    @classmethod
    def parse(cls, text: str) -> Deployment:
        """A deployment from its JSON configuration; ValueError naming what is wrong."""
        try:
            config = json.loads(text)
        except (TypeError, ValueError) as error:
            raise ValueError(f"PEOPLECOIN_SUI_DEPLOYMENT is not JSON: {error}") from None
        _only_keys(config, {"package", "vaults"}, "the deployment")
        package = _address(config["package"], "package")
        if not isinstance(config["vaults"], dict) or not config["vaults"]:
            raise ValueError("deployment: vaults is an object with at least one asset")
        vaults: dict[str, VaultConfig] = {}
        for key, entry in config["vaults"].items():
            asset = _asset(key)
            if asset in vaults:
                raise ValueError(f"deployment: asset {asset} is configured twice")
            vaults[asset] = _vault(entry, asset)
        for seen in ({v.object_id for v in vaults.values()}, {v.coin_type for v in vaults.values()}):
            if len(seen) != len(vaults):
                raise ValueError("deployment: two assets share a vault object or a coin type")
        return cls(package, vaults)


_LOCAL_SHARED_VERSION = 1


def _local_object_id(what: str) -> str:
    return "0x" + hashlib.blake2b(f"peoplecoin local ledger {what}".encode(), digest_size=32).hexdigest()


def _is_token_id(asset: str) -> bool:
    try:
        return str(UUID(asset)) == asset
    except (ValueError, TypeError, AttributeError):
        return False


def normalized_coin_type(text: str) -> str:
    """``0x…::module::Name`` with the address written in full; ValueError for anything else (generics included)."""
    matched = _COIN_TYPE.fullmatch(text) if isinstance(text, str) else None
    if matched is None:
        raise ValueError(f"a coin type is 0x<address>::<module>::<Name> with Move identifiers, not {text!r}")
    address, module, name = matched.groups()
    return f"0x{int(address, 16):064x}::{module}::{name}"


def _only_keys(value: Any, keys: set[str], what: str) -> None:
    if not isinstance(value, dict) or set(value) != keys:
        found = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ValueError(f"deployment: {what} is an object with exactly {sorted(keys)}, got {found}")


def _address(value: Any, what: str) -> str:
    try:
        return normalized_address(value)
    except ValueError:
        raise ValueError(f"deployment: {what} is 0x + 64 hex digits, not {value!r}") from None


def _asset(key: str) -> str:
    if key.upper() == USD:
        return USD
    try:
        return str(UUID(key))
    except ValueError:
        raise ValueError(f"deployment: an asset is USD or a token id (UUID), not {key!r}") from None


def _vault(entry: Any, asset: str) -> VaultConfig:
    _only_keys(entry, _VAULT_FIELDS, f"vault {asset}")
    version = entry["initial_shared_version"]
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= U64_MAX:
        raise ValueError(f"deployment: vault {asset}: initial_shared_version is a positive integer, not {version!r}")
    try:
        coin_type = normalized_coin_type(entry["coin_type"])
    except ValueError as error:
        raise ValueError(f"deployment: vault {asset}: {error}") from None
    return VaultConfig(_address(entry["object_id"], f"vault {asset} object_id"), version, coin_type)
