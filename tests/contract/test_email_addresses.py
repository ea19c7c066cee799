"""The email-address port: what it accepts, every mailer and the domain accept too; the rest is invalid_email.

A user's address is stored before the code is mailed, so an address the
port passes but a mailer refuses would be a stored event followed by a 500
(``a,b@example.com`` was one). The property test holds the three together.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.mail.address import EmailValidatorAddresses
from adapters.mail.message import parse_mailbox
from application.ports import EmailAddresses
from domain.identity.errors import InvalidEmail
from domain.identity.user import User, user_id_for

ADDRESS = "0x" + "cd" * 32
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["email-validator"])
def addresses(request: pytest.FixtureRequest) -> EmailAddresses:
    return EmailValidatorAddresses()


def accepted_everywhere(address: str) -> None:
    assert parse_mailbox(address).addr_spec == address
    user = User(user_id_for(ADDRESS))
    user.register(ADDRESS, T0)
    assert user.send_email_code(address, "hash", T0).email == address


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("ann@Example.COM", "ann@example.com"),
        ("  ann@example.com ", "ann@example.com"),
        ("a/b=c?{d}@example.com", "a/b=c?{d}@example.com"),
        ("user@bücher.de", "user@xn--bcher-kva.de"),
    ],
)
def test_a_good_address_is_kept_in_the_form_every_mailer_takes(addresses: EmailAddresses, text: str, kept: str) -> None:
    assert addresses.normalise(text) == kept
    accepted_everywhere(kept)


@pytest.mark.parametrize(
    "text",
    [
        "a,b@example.com",
        "a@b@example.com",
        "plain",
        "a@localhost",
        "x@foo.test",
        "jöhn@example.com",
        '"quoted"@example.com',
        "Ann <ann@example.com>",
        "a@[192.0.2.1]",
        "a..b@example.com",
        "a@example.com.",
        "a@-example.com",
        "x" * 65 + "@example.com",
    ],
)
def test_anything_else_is_invalid_email(addresses: EmailAddresses, text: str) -> None:
    with pytest.raises(InvalidEmail) as refused:
        addresses.normalise(text)
    assert refused.value.code == "invalid_email"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.emails() | st.text(alphabet=st.sampled_from("ab.@,;:<>\"'()[]\\ -_+é\x00"), max_size=30))
def test_whatever_the_port_accepts_the_mailers_and_the_domain_accept(addresses: EmailAddresses, text: str) -> None:
    try:
        kept = addresses.normalise(text)
    except InvalidEmail:
        return
    accepted_everywhere(kept)
