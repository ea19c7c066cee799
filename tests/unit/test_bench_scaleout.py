"""bench.scaleout splits one load over two api processes evenly, and judges its ratios the way round it says.

No timing here: the benchmark prints figures, the suite only checks the logic around them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # `bench` lives at the repository root, beside src/
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.http_loadgen import Client, acknowledged_by_port, client_ports  # noqa: E402
from bench.scaleout import ratio, verdict  # noqa: E402


def spec(**more: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": 8001,
        "clients": 6,
        "seed": 1,
        "pool": 4,
        "token_id": "BENCH",
        "tick_units": 10_000,
        "lot_units": 1_000_000,
        "usd_decimals": 6,
        "token_decimals": 6,
        "mid_ticks": 100,
        "behind": 8,
        "through": 4,
        "ioc_share": 0.1,
        "cancel_share": 0.1,
        **more,
    }


def test_without_ports_every_client_goes_to_the_one_port() -> None:
    assert client_ports(spec()) == [8001] * 6


def test_the_clients_alternate_over_the_ports_half_each() -> None:
    ports = client_ports(spec(clients=64, ports=[8001, 8002]))
    assert ports[:4] == [8001, 8002, 8001, 8002]
    assert ports.count(8001) == ports.count(8002) == 32


def test_each_client_names_its_own_port_and_its_answers_count_there() -> None:
    s = spec(ports=[8001, 8002])
    clients = [Client(i, s, "token", port) for i, port in enumerate(client_ports(s))]
    for client in clients:
        assert all(f"Host: 127.0.0.1:{client.port}\r\n".encode() in request for request in client.places)
        assert f"Host: 127.0.0.1:{client.port}\r\n".encode() in client.cancel_head[1]
    for i, client in enumerate(clients):
        client.acknowledged = i + 1  # 1..6: the even-indexed ones (1, 3, 5) on 8001
    assert acknowledged_by_port(clients) == {"8001": 9, "8002": 12}


def test_a_ratio_needs_both_figures() -> None:
    assert ratio(500.0, 2_000.0) == pytest.approx(0.25)
    assert ratio(None, 2_000.0) is None
    assert ratio(500.0, 0.0) is None
    assert ratio(500.0, None) is None


@pytest.mark.parametrize(
    ("value", "target", "at_least", "expected"),
    [
        (0.40, 0.40, True, "met"),  # throughput: at least 0.40 of the reference
        (0.39, 0.40, True, "MISSED"),
        (2.0, 2.0, False, "met"),  # CPU and p99: at most 2x the reference
        (2.01, 2.0, False, "MISSED"),
        (None, 2.0, False, "no figure"),
    ],
)
def test_the_verdict_reads_a_floor_and_a_ceiling(value: float | None, target: float, at_least: bool, expected: str) -> None:
    assert verdict(value, target, at_least) == expected
