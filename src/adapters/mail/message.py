"""The one RFC 5322 message both mail adapters deliver, so a file and an SMTP delivery never differ."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from uuid import UUID

from application.ports import OutgoingEmail


def parse_mailbox(value: str) -> Address:
    """Exactly one plain-ASCII mailbox, ``a@b.example`` or ``Name <a@b.example>``, else ValueError.

    The stdlib parser is lenient (it turns garbage into defects, not errors),
    so anything it had to repair, a group, a list or an address we could not
    put in an SMTP envelope without SMTPUTF8 is refused here rather than
    handed to a mail server.
    """
    try:
        header = policy.default.header_factory("to", value)
    except (HeaderParseError, IndexError) as exc:  # 3.11's parser raises IndexError on e.g. "a@"
        raise ValueError(f"not an email address: {value!r}") from exc
    if header.defects or len(header.groups) != 1 or header.groups[0].display_name is not None:
        raise ValueError(f"not exactly one valid email address: {value!r}")
    (address,) = header.addresses
    if not address.username or not address.domain or not address.addr_spec.isascii():
        raise ValueError(f"not a plain-ASCII email address: {value!r}")
    return address


def build_message(email: OutgoingEmail, sender: Address, at: datetime, message_id: UUID) -> EmailMessage:
    """The full message, with time and id given so callers can reuse them (a file name, say).

    The body is quoted-printable UTF-8: any relay accepts it without 8BITMIME
    and the digits of a code stay readable in the raw text. Raises ValueError
    for a recipient that parse_mailbox refuses or a subject with a line break.
    """
    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    message["To"] = parse_mailbox(email.to)
    message["Subject"] = email.subject
    message["Date"] = at
    message["Message-ID"] = f"<{message_id}@{sender.domain}>"
    message.set_content(email.text, charset="utf-8", cte="quoted-printable")
    return message
