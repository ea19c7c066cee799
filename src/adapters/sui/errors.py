"""What the Sui node adapter raises besides the port's ChainUnavailable.

ChainUnavailable (application.ports) means "no answer, try again": a
transport error, a time-out, an overloaded node. These mean "an answer that
this adapter cannot use", which retrying alone will not mend: the node sent
something that does not have the shape the adapter expects (a hostile or
misconfigured node, or a Move layout that differs from the one documented in
``adapters.sui.move_values``), refused a request outright, or the operator
cannot pay for gas. Each carries a message an operator can act on.
"""

from __future__ import annotations

from application.ports import ChainUnreadable


class SuiNodeError(ChainUnreadable):
    """The node answered, but not with something the adapter can use."""


class MalformedAnswer(SuiNodeError):
    """A reply, an object or an event that does not have the documented shape."""


class NodeRefused(SuiNodeError):
    """The node answered a request with a gRPC error status the caller did not expect."""

    def __init__(self, method: str, status: str, message: str) -> None:
        super().__init__(f"{method}: the node answered {status}: {message}")
        self.method = method
        self.status = status  # grpclib Status name: NOT_FOUND, INVALID_ARGUMENT, …
        self.message = message


class GasUnavailable(SuiNodeError):
    """The operator has no SUI coin that can pay the configured gas budget."""


class DepositHistoryPruned(SuiNodeError):
    """The checkpoints the deposit cursor points at are no longer kept by this node."""
