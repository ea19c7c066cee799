"""The sign-in challenge text, modelled on Sign-In with Ethereum (EIP-4361), adapted to Sui."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_NONCE_LINE = re.compile(r"^Nonce: (\S+)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Challenge:
    address: str
    nonce: str
    message: str
    issued_at: datetime
    expires_at: datetime


def rfc3339(at: datetime) -> str:
    """UTC with milliseconds and Z, the form the Sui SDK's wallets show."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def challenge_message(
    *, domain: str, uri: str, network: str, address: str, nonce: str, issued_at: datetime, expires_at: datetime
) -> str:
    return (
        f"{domain} wants you to sign in with your Sui account:\n"
        f"{address}\n"
        "\n"
        "Sign in to PeopleCoin\n"
        "\n"
        f"URI: {uri}\n"
        "Version: 1\n"
        f"Chain ID: sui:{network}\n"
        f"Nonce: {nonce}\n"
        f"Issued At: {rfc3339(issued_at)}\n"
        f"Expiration Time: {rfc3339(expires_at)}"
    )


def nonce_of(message: str) -> str | None:
    found = _NONCE_LINE.search(message)
    return found.group(1) if found else None
