"""One Sui full node, reached through pysui's gRPC client, with every failure sorted into two kinds.

pysui's ``GrpcProtocolClient`` is built from a ``PysuiConfiguration``, which
only loads from a ``PysuiConfig.json`` on disk (``~/.pysui`` by default, and
its ``initialize_config`` reads ``~/.sui`` when present). So the adapter
writes a one-group, one-profile configuration into a private temporary
directory, loads it, and deletes the directory: nothing of the user's home is
read or written. The configuration carries the URL only; the operator key
never reaches pysui.

pysui 1.5.1 always dials TLS (``Channel(..., ssl=True)``); a local node
(``sui start``) and the test node serve plaintext. For an ``http://`` URL the
client's channel is replaced by a plaintext one before the first call (the
one place that touches a pysui internal, ``_channel``). ``https://`` keeps
pysui's TLS channel; a URL without a scheme is taken as TLS too, as pysui's
own profiles (``fullnode.mainnet.sui.io:443``) are.

``call`` returns the reply, or raises:

- ChainUnavailable for no usable answer: connection refused or dropped, the
  stream reset, the deadline passed, or a status that says "try again"
  (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, UNKNOWN,
  CANCELLED);
- NodeRefused for any other status (NOT_FOUND, INVALID_ARGUMENT, …), which
  the caller interprets;
- MalformedAnswer when the reply could not be decoded.

pysui logs every non-OK status with a traceback at ERROR on its
``pgrpc_client`` logger; NOT_FOUND is routine here (polling a digest), and the
adapter reports every failure itself, so that logger is raised to CRITICAL.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import h2.exceptions
from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import ProtocolError, StreamTerminatedError
from pysui import PysuiConfiguration
from pysui.sui.sui_common.config.confgroup import GroupProtocol, NetworkType, Profile, ProfileGroup
from pysui.sui.sui_common.config.confmodel import PysuiConfigModel
from pysui.sui.sui_grpc.pgrpc_absreq import PGRPC_Request
from pysui.sui.sui_grpc.pgrpc_clients import GrpcProtocolClient

from adapters.sui.errors import MalformedAnswer, NodeRefused
from application.ports import ChainUnavailable

_GROUP = "peoplecoin"
_PROFILE = "node"

RETRYABLE = frozenset(
    {
        Status.UNAVAILABLE,
        Status.DEADLINE_EXCEEDED,
        Status.RESOURCE_EXHAUSTED,
        Status.INTERNAL,
        Status.UNKNOWN,
        Status.CANCELLED,
    }
)
"""Statuses that say nothing about the request itself: the node could not answer now."""

_TRANSPORT_ERRORS = (
    OSError,  # refused, reset, TLS; TimeoutError (the deadline) is one since 3.11
    asyncio.TimeoutError,
    StreamTerminatedError,
    ProtocolError,
    h2.exceptions.H2Error,
)


@dataclass(frozen=True, slots=True)
class NodeAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> NodeAddress:
        """``http://host:port`` (plaintext), ``https://host[:port]`` or ``host:port`` (TLS, 443 by default)."""
        text = url.strip()
        if "://" not in text:
            text = "https://" + text
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a gRPC node URL (http://host:port or https://host[:port]): {url!r}")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"bad port in node URL {url!r}") from exc
        if port is None:
            if parts.scheme == "http":
                raise ValueError(f"a plaintext node URL needs its port: {url!r}")
            port = 443
        return cls(parts.hostname, port, parts.scheme == "https")

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"


def _pysui_configuration(address: NodeAddress) -> PysuiConfiguration:
    """A PysuiConfiguration for this one node, loaded from a temporary directory that is gone afterwards."""
    group = ProfileGroup(
        _GROUP,
        _PROFILE,
        "",
        [],
        [],
        [],
        [Profile(_PROFILE, address.url, network_type=NetworkType.LOCAL)],
        GroupProtocol.GRPC,
    )
    model = PysuiConfigModel(group_active=_GROUP, groups=[group])  # pysui stamps its own version on load
    with tempfile.TemporaryDirectory(prefix="peoplecoin-pysui-") as folder:
        (Path(folder) / "PysuiConfig.json").write_text(model.to_json(), encoding="utf8")
        return PysuiConfiguration(from_cfg_path=folder, group_name=_GROUP, profile_name=_PROFILE)


class NodeClient:
    """pysui's gRPC client for one node, made on first use (it needs a running loop), closed by ``close``."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.address = NodeAddress.parse(url)
        self._timeout = timeout
        self._client: GrpcProtocolClient | None = None
        logging.getLogger("pgrpc_client").setLevel(logging.CRITICAL)

    def _connected(self) -> GrpcProtocolClient:
        if self._client is None:
            client = GrpcProtocolClient(pysui_config=_pysui_configuration(self.address))
            if not self.address.tls:
                client._channel.close()
                client._channel = Channel(host=self.address.host, port=self.address.port, ssl=None)
            self._client = client
        return self._client

    async def call(self, request: PGRPC_Request, *, timeout: float | None = None) -> Any:
        method = type(request).__name__
        try:
            result = await self._connected().execute_grpc_request(
                request=request, timeout=self._timeout if timeout is None else timeout
            )
        except _TRANSPORT_ERRORS as exc:
            raise ChainUnavailable(f"{method}: no answer from the node at {self.address.url}: {exc!r}") from exc
        if result.is_ok():
            return result.result_data
        status, message = _status_of(result.result_string)
        if status is None:
            raise MalformedAnswer(f"{method}: the node's reply could not be read: {message}")
        if status in RETRYABLE:
            raise ChainUnavailable(f"{method}: the node answered {status.name}: {message}")
        raise NodeRefused(method, status.name, message)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()


def _status_of(error: object) -> tuple[Status | None, str]:
    """pysui hands back a GRPCError's args (status, message, details), or a decoding error's args."""
    if isinstance(error, tuple) and error and isinstance(error[0], Status):
        message = error[1] if len(error) > 1 and error[1] else ""
        return error[0], str(message)
    return None, str(error)
