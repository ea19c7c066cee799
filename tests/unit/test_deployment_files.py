"""docker-compose.yml, deploy/nginx.conf and the Dockerfile agree with the code: every process is a real
``peoplecoin`` subcommand, every process shares what a deployment must share, and the proxy knows every api.
(No Docker daemon runs where the tests do: this is what can be checked without one.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from entrypoints.cli import ROLES, _parser
from entrypoints.container import Role

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("PEOPLECOIN_DATABASE_URL", "PEOPLECOIN_REDIS_URL", "PEOPLECOIN_JWT_SECRET", "PEOPLECOIN_AUTH_DOMAIN")


def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return {name: s for name, s in compose["services"].items() if s.get("image") == "peoplecoin"}


def test_every_process_is_a_subcommand_and_shares_the_deployments_settings() -> None:
    found = services()
    roles = [s["command"][0] for s in found.values()]
    assert set(roles) <= {r.value for r in ROLES}
    assert roles.count(Role.ENGINE) >= 1 and roles.count(Role.API) >= 2 and roles.count(Role.PROJECTOR) == 1 and roles.count(Role.SETTLER) == 1
    for name, service in found.items():
        _parser().parse_args(service["command"])  # the CLI takes it
        assert all(service["environment"].get(key) for key in SHARED), name


def test_the_proxy_sends_to_every_api_process() -> None:
    apis = {name for name, s in services().items() if s["command"] == [Role.API.value]}
    upstream = set(re.findall(r"server (\S+):8000", (ROOT / "deploy" / "nginx.conf").read_text()))
    assert upstream == apis


def test_the_image_runs_the_cli() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["peoplecoin"]' in dockerfile
    assert "-c constraints.txt" in dockerfile
