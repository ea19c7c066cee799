"""Settings from the environment, checked once at start-up so a bad value stops the process with a clear message."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ADDRESS = re.compile(r"^0x[0-9a-f]{64}$")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    host: str
    port: int
    data_dir: Path
    database_url: str | None
    redis_url: str | None
    admin_addresses: frozenset[str]
    jwt_secret: str

    @property
    def event_store_path(self) -> Path:
        return self.data_dir / "events.sqlite3"

    @property
    def views_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'views.sqlite3'}"

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
        return cls(
            host=env.get("PEOPLECOIN_HOST") or "127.0.0.1",
            port=int(port_text),
            data_dir=data_dir,
            database_url=database_url,
            redis_url=redis_url,
            admin_addresses=admins,
            jwt_secret=env.get("PEOPLECOIN_JWT_SECRET") or _kept_secret(data_dir / "jwt-secret"),
        )


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
