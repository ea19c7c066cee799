"""A real server process per test, on the embedded default or on PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """One ``peoplecoin serve`` (or api, engine, projector) process; restartable on the same data dir and database."""

    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = field(default_factory=free_port)
    role: str = "serve"  # the peoplecoin subcommand: serve, api, engine or projector

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        env = {**self.env, "PEOPLECOIN_PORT": str(self.port)}
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([str(BIN / "peoplecoin"), self.role], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer /health in {STARTUP_TIMEOUT}s:\n{self.log()}")

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``peoplecoin ...`` on this server's data dir and database."""
        return subprocess.run(
            [str(BIN / "peoplecoin"), *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_records(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.log().splitlines() if line.strip()]


def deployment_env(postgres_url: str, redis_url: str, redis_prefix: str, admin_address: str, **extra: str) -> dict[str, str]:
    """What every process of one deployment on PostgreSQL and Redis shares."""
    return {
        "PEOPLECOIN_DATABASE_URL": postgres_url,
        "PEOPLECOIN_REDIS_URL": redis_url,
        "PEOPLECOIN_REDIS_PREFIX": redis_prefix,
        "PEOPLECOIN_ADMIN_ADDRESSES": admin_address,
        "PEOPLECOIN_RATE_LIMITS": "off",
        "PEOPLECOIN_JWT_SECRET": "one secret for every process of a deployment, long enough",
        **extra,
    }


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PEOPLECOIN_")}
    return {**keep, "PEOPLECOIN_DATA_DIR": str(tmp_path / "data"), **extra}


@pytest.fixture(params=["embedded", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def start_server(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., Server]]:
    """Starts a server on this test's backend, with extra settings; every one is killed after the test."""
    started: list[Server] = []
    if backend == "postgres":  # asked for first, so its database is dropped after the servers are killed
        request.getfixturevalue("postgres_url")
        request.getfixturevalue("redis_prefix")

    def start(**extra: str) -> Server:
        if backend == "postgres":
            extra.setdefault("PEOPLECOIN_DATABASE_URL", request.getfixturevalue("postgres_url"))
            extra.setdefault("PEOPLECOIN_REDIS_URL", request.getfixturevalue("redis_url"))
            extra.setdefault("PEOPLECOIN_REDIS_PREFIX", request.getfixturevalue("redis_prefix"))
        home = tmp_path / f"server-{len(started)}"
        home.mkdir()
        srv = Server(server_env(home, **extra), home / "server.log")
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        if srv.process is not None:
            srv.kill(signal.SIGKILL)
    if request.node.get_closest_marker("tampers") is None:
        audit_stores(started)


def audit_stores(servers: list[Server]) -> None:
    """``peoplecoin audit``'s checks on every store the test's servers used, after they are gone: whatever a test
    did to them (kill -9 included), money is conserved and every view equals a fresh replay. In this process,
    to spare a command's start-up per test."""
    from application.audit import run_audit
    from entrypoints.config import Settings
    from entrypoints.container import audit_checks, build, close_stores, open_stores

    async def audit(env: dict[str, str]) -> list[str]:
        c = build(Settings.from_env(env))
        await open_stores(c)
        try:
            return [
                f"{r.name}: {d.where}: {r.found_label} {d.found}, {r.expected_label} {d.expected}"
                for r in await run_audit(audit_checks(c))
                for d in r.differences[:3]
            ]
        finally:
            await close_stores(c)

    stores = {srv.env.get("PEOPLECOIN_DATABASE_URL") or srv.env["PEOPLECOIN_DATA_DIR"]: srv.env for srv in servers}
    for store, env in stores.items():
        differences = asyncio.run(audit(env))
        assert differences == [], f"the audit of {store} after the test: {differences}"


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()
