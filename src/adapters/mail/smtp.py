"""Mail handed to an SMTP server with aiosmtplib, the whole server configuration in one URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote, urlsplit
from uuid import uuid4

import aiosmtplib

from adapters.mail.message import build_message, parse_mailbox
from application.ports import OutgoingEmail

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpServer:
    """Where and how to connect, as parse_smtp_url read it; the password stays out of repr and logs."""

    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    implicit_tls: bool
    starttls: bool


def parse_smtp_url(url: str) -> SmtpServer:
    """Read ``smtp://[user[:password]@]host[:port][?starttls=true]`` or ``smtps://…``, else ValueError.

    smtp:// is plain text on port 25 unless ``starttls=true`` demands the
    upgrade (never opportunistic: a plain URL means plain). smtps:// is TLS from
    the first byte, port 465. User and password are percent-decoded; a user
    without a password logs in with an empty one. Error messages never repeat
    the URL, which may hold a password, since they end up in start-up logs.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"SMTP URL is malformed ({exc}); expected smtp://[user[:password]@]host[:port]") from exc
    if parts.scheme not in _DEFAULT_PORTS:
        raise ValueError(f"SMTP URL must start with smtp:// or smtps://, not {parts.scheme or 'no'} scheme")
    if not parts.hostname:
        raise ValueError("SMTP URL has no host; expected smtp://[user[:password]@]host[:port]")
    if port == 0:
        raise ValueError("SMTP URL port must be between 1 and 65535")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("SMTP URL must not have a path or fragment")
    if parts.username is not None and not parts.username:
        raise ValueError("SMTP URL has an empty user name before '@'")
    return SmtpServer(
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[parts.scheme],
        username=None if parts.username is None else unquote(parts.username),
        password=None if parts.username is None else unquote(parts.password or ""),
        implicit_tls=parts.scheme == "smtps",
        starttls=_starttls(parts.scheme, parts.query),
    )


def _starttls(scheme: str, query: str) -> bool:
    try:
        options = parse_qsl(query, keep_blank_values=True, strict_parsing=True) if query else []
    except ValueError as exc:
        raise ValueError("SMTP URL query is malformed; the only option is ?starttls=true") from exc
    if not options:
        return False
    if len(options) > 1 or options[0][0] != "starttls":
        raise ValueError("SMTP URL has an unknown or repeated option; the only option is ?starttls=true")
    if scheme != "smtp":
        raise ValueError("starttls applies to smtp:// only; smtps:// is already TLS")
    value = _BOOLEANS.get(options[0][1].lower())
    if value is None:
        raise ValueError("SMTP URL option starttls must be true or false")
    return value


class SmtpDeliveryError(Exception):
    """The server was unreachable, too slow, or refused the login, the sender, the recipient or the message.

    ``__cause__`` holds the original: an aiosmtplib.SMTPException (e.g.
    SMTPConnectError, SMTPTimeoutError, SMTPAuthenticationError,
    SMTPRecipientsRefused) or an OSError such as ssl's certificate errors.
    """


class SmtpMailer:
    """Sends each message over its own SMTP connection: verification mail is rare, so nothing to pool.

    send() raises SmtpDeliveryError for every SMTP or network failure, and
    ValueError (before connecting) for a recipient that is not one address or a
    subject with a line break. ``timeout`` bounds each step (connecting, each
    server reply), not the whole send.
    """

    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        if timeout <= 0:
            raise ValueError("SMTP timeout must be positive")
        self._server = parse_smtp_url(url)
        self._sender = parse_mailbox(sender)
        self._timeout = timeout

    async def send(self, email: OutgoingEmail) -> None:
        message = build_message(email, self._sender, datetime.now(UTC), uuid4())
        server = self._server
        try:
            await aiosmtplib.send(
                message,
                sender=self._sender.addr_spec,
                recipients=[message["To"].addresses[0].addr_spec],
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.implicit_tls,
                start_tls=server.starttls,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SmtpDeliveryError(f"SMTP server {server.host}:{server.port} did not take the message: {exc}") from exc
