"""Settings from the environment, checked once at start-up so a bad value stops the process with a clear message."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from adapters.sui.deployment import Deployment
from adapters.sui.keys import OperatorKey
from adapters.sui.node import SuiSettings
from urllib.parse import urlsplit

from adapters.mail.message import parse_mailbox
from adapters.mail.smtp import parse_smtp_url
from entrypoints.http.ratelimit import Limits, parse_limits

ADDRESS = re.compile(r"^0x[0-9a-f]{64}$")
UPLOAD_MAX_BYTES = 5_000_000  # "5 MB" (CREATORS.md), in decimal units


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    host: str
    port: int
    data_dir: Path
    database_url: str | None
    redis_url: str | None
    redis_prefix: str
    admin_addresses: frozenset[str]
    jwt_secret: str
    auth_domain: str
    auth_uri: str
    sui_network: str
    smtp_url: str | None
    mail_from: str
    rate_limits: Limits
    challenge_seconds: int
    access_token_seconds: int
    access_log: bool
    engine: bool
    snapshot_every: int
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    upload_max_bytes: int = UPLOAD_MAX_BYTES
    scrape_allow: tuple[str, ...] = ()
    withdrawal_fees: Mapping[str, Decimal] = field(default_factory=lambda: parse_withdrawal_fees(DEFAULT_WITHDRAWAL_FEES))
    settlement_seconds: float = 10.0
    local_chain_delay: float = 0.0
    sui_operator_key: str | None = None  # suiprivkey1…: the settlement operator (the local ledger's too, when set)
    sui: SuiSettings | None = None  # with PEOPLECOIN_SUI_URL: settle on a Sui full node instead of the local ledger
    command_timeout: float = 5.0  # how long an api process waits for the engine's answer before a 503
    role: str = "serve"  # the subcommand this process runs (entrypoints.roles); not from the environment

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def event_store_path(self) -> Path:
        return self.data_dir / "events.sqlite3"

    @property
    def views_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'views.sqlite3'}"

    @property
    def local_chain_url(self) -> str:
        """The local ledger's own tables: beside the views on PostgreSQL, a file of their own on SQLite (a views file
        may be deleted and rebuilt from the log; the ledger's memory may not)."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'local-chain.sqlite3'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        data_dir = Path(env.get("PEOPLECOIN_DATA_DIR") or "./var").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        port_text = env.get("PEOPLECOIN_PORT") or "8000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PEOPLECOIN_PORT must be a port number, not {port_text!r}")
        database_url = env.get("PEOPLECOIN_DATABASE_URL") or None
        if database_url and not database_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("PEOPLECOIN_DATABASE_URL must be a postgresql:// URL")
        redis_url = env.get("PEOPLECOIN_REDIS_URL") or None
        if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("PEOPLECOIN_REDIS_URL must be a redis:// URL")
        admins = frozenset(a.strip().lower() for a in (env.get("PEOPLECOIN_ADMIN_ADDRESSES") or "").split(",") if a.strip())
        if bad := sorted(a for a in admins if not ADDRESS.match(a)):
            raise ConfigError(f"PEOPLECOIN_ADMIN_ADDRESSES holds what is not a Sui address: {', '.join(bad)}")
        host = env.get("PEOPLECOIN_HOST") or "127.0.0.1"
        smtp_url = env.get("PEOPLECOIN_SMTP_URL") or None
        mail_from = env.get("PEOPLECOIN_MAIL_FROM") or "PeopleCoin <no-reply@peoplecoin.localhost>"
        try:
            if smtp_url:
                parse_smtp_url(smtp_url)
            parse_mailbox(mail_from)
            rate_limits = parse_limits(env.get("PEOPLECOIN_RATE_LIMITS"))
        except ValueError as error:
            raise ConfigError(str(error)) from None
        if (secret := env.get("PEOPLECOIN_JWT_SECRET")) and len(secret) < 32:
            raise ConfigError("PEOPLECOIN_JWT_SECRET must be at least 32 characters")
        challenge_text = env.get("PEOPLECOIN_AUTH_CHALLENGE_SECONDS") or "300"
        if not challenge_text.isdigit() or not 1 <= int(challenge_text) <= 3600:
            raise ConfigError("PEOPLECOIN_AUTH_CHALLENGE_SECONDS is a number of seconds from 1 to 3600")
        snapshot_text = env.get("PEOPLECOIN_SNAPSHOT_EVERY") or "50000"
        if not snapshot_text.isdigit() or not 100 <= int(snapshot_text) <= 10_000_000:
            raise ConfigError("PEOPLECOIN_SNAPSHOT_EVERY is a number of events from 100 to 10,000,000")
        access_text = env.get("PEOPLECOIN_ACCESS_TOKEN_SECONDS") or "900"
        if not access_text.isdigit() or not 1 <= int(access_text) <= 3600:
            raise ConfigError("PEOPLECOIN_ACCESS_TOKEN_SECONDS is a number of seconds from 1 to 3600")
        upload_text = env.get("PEOPLECOIN_UPLOAD_MAX_BYTES") or str(UPLOAD_MAX_BYTES)
        if not (upload_text.isascii() and upload_text.isdigit()) or not 1 <= int(upload_text) <= 100_000_000:
            raise ConfigError("PEOPLECOIN_UPLOAD_MAX_BYTES is a number of bytes from 1 to 100,000,000")
        network = env.get("PEOPLECOIN_SUI_NETWORK") or "mainnet"
        if network not in ("mainnet", "testnet", "devnet", "localnet"):
            raise ConfigError("PEOPLECOIN_SUI_NETWORK is one of mainnet, testnet, devnet, localnet")
        return cls(
            host=host,
            port=int(port_text),
            data_dir=data_dir,
            database_url=database_url,
            redis_url=redis_url,
            redis_prefix=env.get("PEOPLECOIN_REDIS_PREFIX") or "peoplecoin:",
            admin_addresses=admins,
            jwt_secret=env.get("PEOPLECOIN_JWT_SECRET") or _kept_secret(data_dir / "jwt-secret"),
            auth_domain=env.get("PEOPLECOIN_AUTH_DOMAIN") or f"{host}:{port_text}",
            auth_uri=env.get("PEOPLECOIN_AUTH_URI") or f"http://{host}:{port_text}",
            sui_network=network,
            smtp_url=smtp_url,
            mail_from=mail_from,
            rate_limits=rate_limits,
            challenge_seconds=int(challenge_text),
            access_token_seconds=int(access_text),
            access_log=(env.get("PEOPLECOIN_ACCESS_LOG") or "off").lower() in ("1", "on", "true", "yes"),
            engine=(env.get("PEOPLECOIN_ENGINE") or "on").lower() not in ("0", "off", "false", "no"),
            snapshot_every=int(snapshot_text),
            cors_origins=parse_origins(env.get("PEOPLECOIN_CORS_ORIGINS") or ""),
            trusted_proxies=parse_proxies(env.get("PEOPLECOIN_TRUSTED_PROXIES") or ""),
            upload_max_bytes=int(upload_text),
            scrape_allow=parse_scrape_allow(env.get("PEOPLECOIN_SCRAPE_ALLOW") or ""),
            withdrawal_fees=parse_withdrawal_fees(env.get("PEOPLECOIN_WITHDRAWAL_FEES") or DEFAULT_WITHDRAWAL_FEES),
            settlement_seconds=_seconds(env, "PEOPLECOIN_SETTLEMENT_SECONDS", "10", 0.05, 3600),
            local_chain_delay=_seconds(env, "PEOPLECOIN_LOCAL_CHAIN_DELAY", "0", 0, 60),
            sui_operator_key=_operator_key(env.get("PEOPLECOIN_SUI_OPERATOR_KEY") or None),
            sui=_sui(env),
            command_timeout=_seconds(env, "PEOPLECOIN_COMMAND_TIMEOUT", "5", 0.1, 60),
        )


def _sui(env: Mapping[str, str]) -> SuiSettings | None:
    """The Sui adapter's settings (adapters/sui/node.py names every PEOPLECOIN_SUI_* variable), when
    PEOPLECOIN_SUI_URL is set; then PEOPLECOIN_SUI_OPERATOR_KEY and PEOPLECOIN_SUI_DEPLOYMENT must be too."""
    if not env.get("PEOPLECOIN_SUI_URL"):
        return None
    for needed in ("PEOPLECOIN_SUI_OPERATOR_KEY", "PEOPLECOIN_SUI_DEPLOYMENT"):
        if not env.get(needed):
            raise ConfigError(f"PEOPLECOIN_SUI_URL is set: {needed} must be set too (docs/settlement.md)")
    try:
        return SuiSettings.from_env(env, deployment=Deployment.parse(env["PEOPLECOIN_SUI_DEPLOYMENT"]))
    except (ValueError, KeyError) as error:
        raise ConfigError(f"the Sui settings do not hold: {error}") from None


def _operator_key(text: str | None) -> str | None:
    """``PEOPLECOIN_SUI_OPERATOR_KEY``: a ``suiprivkey1…`` key of any of Sui's three schemes, checked at start."""
    if text is None:
        return None
    try:
        OperatorKey.parse(text)
    except ValueError as error:
        raise ConfigError(f"PEOPLECOIN_SUI_OPERATOR_KEY is not a Sui private key (suiprivkey1…): {error}") from None
    return text


def _seconds(env: Mapping[str, str], name: str, default: str, low: float, high: float) -> float:
    text = env.get(name) or default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN fails too
        raise ConfigError(f"{name} is a number of seconds from {low:g} to {high:g}, not {text!r}")
    return value


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_origins(text: str) -> tuple[str, ...]:
    """``PEOPLECOIN_CORS_ORIGINS``: origins (``https://app.example.com``, ``http://localhost:5173``) or ``*``."""
    origins = []
    for item in _items(text):
        if item != "*" and not _is_origin(item):
            raise ConfigError(
                f"PEOPLECOIN_CORS_ORIGINS: {item!r} is not an origin like https://app.example.com (scheme, host, optional port)"
            )
        origins.append(item if item == "*" else item.rstrip("/").lower())
    return tuple(origins)


def _is_origin(text: str) -> bool:
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not (parts.query or parts.fragment or parts.username or parts.password)
    )


def parse_proxies(text: str) -> tuple[str, ...]:
    """``PEOPLECOIN_TRUSTED_PROXIES``: IP addresses and networks (``10.0.0.0/8``) whose X-Forwarded-For counts."""
    proxies = []
    for item in _items(text):
        try:
            proxies.append(str(ipaddress.ip_network(item)))  # strict: 10.0.0.1/8 is a mistake, not 10.0.0.0/8
        except ValueError:
            raise ConfigError(
                f"PEOPLECOIN_TRUSTED_PROXIES: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(proxies)


_HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$")


def parse_scrape_allow(text: str) -> tuple[str, ...]:
    """``PEOPLECOIN_SCRAPE_ALLOW``: exact host names or IP addresses whose addresses POST /scrape does not check
    (tests serve pages from ``127.0.0.1``); no schemes, ports or wildcards."""
    hosts = []
    for item in _items(text):
        name = item.lower().rstrip(".")
        try:
            hosts.append(str(ipaddress.ip_address(name.removeprefix("[").removesuffix("]"))))
            continue
        except ValueError:
            pass
        if not _HOST_NAME.match(name):
            raise ConfigError(
                f"PEOPLECOIN_SCRAPE_ALLOW: {item!r} is not a host name or IP address (e.g. 127.0.0.1, pages.test)"
            )
        hosts.append(name)
    return tuple(hosts)


def _kept_secret(path: Path) -> str:
    """A secret made once and kept in the data dir, readable by its owner only, so restarts keep sessions."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(draft, path)  # atomic: the file appears whole, or another process's stands
    except FileExistsError:
        secret = path.read_text().strip()
    finally:
        draft.unlink()
    return secret


DEFAULT_WITHDRAWAL_FEES = "USD=0.1,*=1"
_FEE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,18})?$")


def parse_withdrawal_fees(text: str) -> dict[str, Decimal]:
    """``PEOPLECOIN_WITHDRAWAL_FEES``: a flat network fee per asset, in its own units: ``USD=0.1``, a token by its
    symbol (``ALICE=2``), and ``*`` for every token not named (``*=1``)."""
    fees: dict[str, Decimal] = {}
    for item in _items(text):
        asset, _, amount = (part.strip() for part in item.partition("="))
        name = asset.upper()
        if not (name == "*" or re.fullmatch(r"[A-Z][A-Z0-9]{1,9}", name)) or not _FEE.match(amount):
            raise ConfigError(
                f"PEOPLECOIN_WITHDRAWAL_FEES: {item!r} is not ASSET=AMOUNT (USD=0.1, ALICE=2, *=1)"
            )
        fees[name] = Decimal(amount)
    return fees
