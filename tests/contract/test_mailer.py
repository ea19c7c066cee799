"""The mail port: the same assertions against .eml files and a real local SMTP server.

The SMTP side runs aiosmtpd in its own thread on 127.0.0.1 and parses what
it received, so both adapters are judged by the bytes that reached the other
end. Nothing waits on the clock; the one test about a silent server runs
under a generous guard so a send that never gives up fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from adapters.mail.files import FileMailer
from adapters.mail.smtp import SmtpDeliveryError, SmtpMailer, SmtpServer, parse_smtp_url
from application.ports import Mailer, OutgoingEmail

SENDER = "PeopleCoin <no-reply@peoplecoin.example>"
SENDER_ADDRESS = Address("PeopleCoin", "no-reply", "peoplecoin.example")
CODE_MAIL = OutgoingEmail(
    to="user@example.com",
    subject="Votre code PeopleCoin — café",
    text="Café — 123 456\nIt expires in 10 minutes.\n",
)
MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")
GUARD = 10.0
FILE_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.eml")

Inbox = Callable[[], list[EmailMessage]]


def parse(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))


def code_mail(to: str = "user@example.com", subject: str = "Your code") -> OutgoingEmail:
    return OutgoingEmail(to=to, subject=subject, text="123 456\n")


class Recorder:
    """An aiosmtpd handler that keeps every accepted envelope, or refuses every recipient."""

    def __init__(self, refuse_recipients: bool = False) -> None:
        self.envelopes: list[Envelope] = []
        self._refuse_recipients = refuse_recipients

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self._refuse_recipients:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def inbox(self) -> list[EmailMessage]:
        return [parse(cast(bytes, envelope.original_content)) for envelope in self.envelopes]


def free_port() -> int:
    """A port nobody listens on right now (aiosmtpd's Controller cannot be told port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return cast(int, probe.getsockname()[1])


@contextmanager
def smtp_server(handler: Recorder, **options: Any) -> Iterator[int]:
    """A real SMTP server on 127.0.0.1 for the duration; yields its port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture(params=["files", "smtp"])
def mail(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Mailer, Inbox]]:
    if request.param == "files":
        outbox = tmp_path / "outbox"  # missing on purpose: the mailer creates it
        yield FileMailer(outbox, SENDER), lambda: [parse(path.read_bytes()) for path in sorted(outbox.glob("*.eml"))]
        return
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=GUARD), recorder.inbox


# --- both adapters ---------------------------------------------------------------------------


async def test_a_sent_message_arrives_with_its_headers_and_its_utf8_body(mail: tuple[Mailer, Inbox]) -> None:
    mailer, inbox = mail
    before = datetime.now(UTC).replace(microsecond=0)  # the Date header has whole seconds
    await mailer.send(CODE_MAIL)
    after = datetime.now(UTC)

    (received,) = inbox()
    assert received["To"].addresses == (Address(addr_spec="user@example.com"),)
    assert received["From"].addresses == (SENDER_ADDRESS,)
    assert received["Subject"] == "Votre code PeopleCoin — café"
    assert before <= received["Date"].datetime <= after
    assert MESSAGE_ID.fullmatch(received["Message-ID"])
    assert received.get_content_type() == "text/plain"
    assert received.get_content_charset() == "utf-8"
    assert received.get_content().replace("\r\n", "\n") == "Café — 123 456\nIt expires in 10 minutes.\n"


async def test_several_messages_arrive_in_sending_order_each_with_its_own_message_id(
    mail: tuple[Mailer, Inbox],
) -> None:
    mailer, inbox = mail
    for n in range(5):
        await mailer.send(code_mail(to=f"user{n}@example.com", subject=f"Code {n}"))

    received = inbox()
    assert [m["Subject"] for m in received] == [f"Code {n}" for n in range(5)]
    assert [m["To"].addresses[0].addr_spec for m in received] == [f"user{n}@example.com" for n in range(5)]
    assert len({m["Message-ID"] for m in received}) == 5


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        (
            "\"O'Brien, Zoë\" <zoe.o'brien+codes@sub.example.co.uk>",
            Address("O'Brien, Zoë", "zoe.o'brien+codes", "sub.example.co.uk"),
        ),
        ('"john doe"@example.com', Address("", "john doe", "example.com")),
        ("<x_y-z@xn--caf-dma.example>", Address("", "x_y-z", "xn--caf-dma.example")),
    ],
)
async def test_a_recipient_with_a_display_name_or_an_unusual_address_is_addressed_exactly(
    mail: tuple[Mailer, Inbox], to: str, expected: Address
) -> None:
    mailer, inbox = mail
    await mailer.send(code_mail(to=to))

    (received,) = inbox()
    assert received["To"].addresses == (expected,)


@pytest.mark.parametrize(
    "to", ["not an address", "a@example.com, b@example.com", "", "zoë@example.com", "a@", "Bob <bob@example.com> x"]
)
async def test_a_recipient_that_is_not_exactly_one_address_is_refused_and_nothing_is_sent(
    mail: tuple[Mailer, Inbox], to: str
) -> None:
    mailer, inbox = mail
    with pytest.raises(ValueError):
        await mailer.send(code_mail(to=to))
    assert inbox() == []


async def test_a_subject_with_a_line_break_is_refused_so_no_header_can_be_injected(
    mail: tuple[Mailer, Inbox],
) -> None:
    mailer, inbox = mail
    with pytest.raises(ValueError):
        await mailer.send(code_mail(subject="Your code\r\nBcc: victim@example.com"))
    assert inbox() == []


# --- .eml files only -------------------------------------------------------------------------


async def test_the_outbox_directory_is_created_on_the_first_send(tmp_path: Path) -> None:
    outbox = tmp_path / "var" / "mail"
    await FileMailer(outbox, SENDER).send(CODE_MAIL)
    assert len(list(outbox.glob("*.eml"))) == 1


async def test_files_are_named_by_utc_time_and_leave_no_temporary_file_behind(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, SENDER)
    for n in range(3):
        await mailer.send(code_mail(subject=f"Code {n}"))

    names = [path.name for path in tmp_path.iterdir()]  # hidden files included
    assert len(names) == 3
    for name in names:
        assert FILE_NAME.fullmatch(name)


async def test_file_names_sort_in_sending_order_even_when_sends_follow_each_other_closely(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, SENDER)
    for n in range(50):
        await mailer.send(code_mail(subject=f"Code {n}"))

    paths = sorted(tmp_path.glob("*.eml"))
    assert len(paths) == 50
    assert [parse(path.read_bytes())["Subject"] for path in paths] == [f"Code {n}" for n in range(50)]


def test_a_file_mailer_refuses_a_sender_that_is_not_one_address(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FileMailer(tmp_path, "PeopleCoin")


# --- SMTP only -------------------------------------------------------------------------------


async def test_the_smtp_envelope_carries_the_bare_sender_and_recipient_addresses() -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=GUARD)
        await mailer.send(code_mail(to="\"O'Brien, Zoë\" <zoe.o'brien+codes@sub.example.co.uk>"))

    (envelope,) = recorder.envelopes
    assert envelope.mail_from == "no-reply@peoplecoin.example"
    assert envelope.rcpt_tos == ["zoe.o'brien+codes@sub.example.co.uk"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_logs_in_with_the_percent_decoded_user_and_password() -> None:
    user, password = "codes user@peoplecoin", "p@ss:w/rd%+ é"
    logins: list[tuple[str, str]] = []

    def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        login = cast(LoginPassword, data)
        logins.append((login.login.decode(), login.password.decode()))
        accepted = (login.login.decode(), login.password.decode()) == (user, password)
        return AuthResult(success=accepted, handled=False)  # handled=False: aiosmtpd answers 535 itself

    recorder = Recorder()
    with smtp_server(recorder, authenticator=authenticator, auth_required=True, auth_require_tls=False) as port:
        url = f"smtp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{port}"
        await SmtpMailer(url, SENDER, timeout=GUARD).send(CODE_MAIL)

    assert logins == [(user, password)]
    assert [m["Subject"] for m in recorder.inbox()] == [CODE_MAIL.subject]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_with_a_wrong_password_raises_and_delivers_nothing() -> None:
    def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535 itself

    recorder = Recorder()
    with smtp_server(recorder, authenticator=authenticator, auth_required=True, auth_require_tls=False) as port:
        mailer = SmtpMailer(f"smtp://codes:wrong@127.0.0.1:{port}", SENDER, timeout=GUARD)
        with pytest.raises(SmtpDeliveryError) as raised:
            await mailer.send(CODE_MAIL)

    assert isinstance(raised.value.__cause__, aiosmtplib.SMTPAuthenticationError)
    assert recorder.envelopes == []


async def test_a_recipient_the_smtp_server_refuses_makes_send_raise() -> None:
    recorder = Recorder(refuse_recipients=True)
    with smtp_server(recorder) as port:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=GUARD)
        with pytest.raises(SmtpDeliveryError) as raised:
            await mailer.send(CODE_MAIL)

    assert isinstance(raised.value.__cause__, aiosmtplib.SMTPRecipientsRefused)
    assert recorder.envelopes == []


async def test_a_port_nobody_listens_on_makes_send_raise() -> None:
    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=GUARD)
    with pytest.raises(SmtpDeliveryError) as raised:
        await mailer.send(CODE_MAIL)
    assert isinstance(raised.value.__cause__, aiosmtplib.SMTPConnectError)


async def test_a_server_that_never_answers_makes_send_raise_a_timeout_instead_of_hanging() -> None:
    with socket.socket() as silent:  # the kernel accepts the connection; nobody ever greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mailer = SmtpMailer(f"smtp://127.0.0.1:{silent.getsockname()[1]}", SENDER, timeout=0.2)
        async with asyncio.timeout(GUARD):
            with pytest.raises(SmtpDeliveryError) as raised:
                await mailer.send(CODE_MAIL)

    assert isinstance(raised.value.__cause__, aiosmtplib.SMTPTimeoutError)


def test_an_smtp_mailer_refuses_a_bad_url_or_sender_when_built() -> None:
    with pytest.raises(ValueError):
        SmtpMailer("http://mail.example", SENDER)
    with pytest.raises(ValueError):
        SmtpMailer("smtp://mail.example", "not an address")


PLAIN = SmtpServer(host="mail.example", port=25, username=None, password=None, implicit_tls=False, starttls=False)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", PLAIN),
        ("smtp://mail.example:2525/", replace(PLAIN, port=2525)),
        ("smtp://mail.example:587?starttls=true", replace(PLAIN, port=587, starttls=True)),
        ("smtp://mail.example?starttls=FALSE", PLAIN),
        ("smtps://mail.example", replace(PLAIN, port=465, implicit_tls=True)),
        (
            "smtps://u%40x:p%3Aw%2F%25@mail.example:4650",
            replace(PLAIN, port=4650, username="u@x", password="p:w/%", implicit_tls=True),
        ),
        ("smtp://codes@mail.example", replace(PLAIN, username="codes", password="")),
        ("SMTP://Mail.Example", PLAIN),
        ("smtp://[::1]:1025", replace(PLAIN, host="::1", port=1025)),
    ],
)
def test_the_documented_smtp_url_forms_are_understood(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://x", "must start with smtp:// or smtps://"),
        ("mail.example:25", "must start with smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://:25", "no host"),
        ("smtp://mail.example:abc", "malformed"),
        ("smtp://mail.example:70000", "malformed"),
        ("smtp://mail.example:0", "between 1 and 65535"),
        ("smtp://[::1", "malformed"),
        ("smtp://mail.example/inbox", "path"),
        ("smtp://mail.example#x", "fragment"),
        ("smtp://:secret@mail.example", "empty user"),
        ("smtp://mail.example?tls=true", "unknown or repeated option"),
        ("smtp://mail.example?starttls=true&starttls=false", "unknown or repeated option"),
        ("smtp://mail.example?starttls=maybe", "true or false"),
        ("smtps://mail.example?starttls=true", "smtp:// only"),
    ],
)
def test_anything_else_is_refused_with_a_message_saying_what_is_wrong(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        parse_smtp_url(url)


def test_a_refused_url_and_a_parsed_server_never_show_the_password() -> None:
    with pytest.raises(ValueError) as raised:
        parse_smtp_url("smtp://codes:hunter2@mail.example:abc")
    assert "hunter2" not in str(raised.value)
    assert "hunter2" not in repr(parse_smtp_url("smtp://codes:hunter2@mail.example"))
