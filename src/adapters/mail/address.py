"""Email address syntax by email-validator, the well-kept implementation of RFC 5321/5322 and IDNA rules.

A regex of our own let ``a,b@example.com`` through to the mailer, which then
refused it after the address was stored. email-validator's answer is one
address in the form the mail adapters take (``parse_mailbox``): plain ASCII,
no quoted local part, no display name, no IP-literal domain, the domain
lower-cased and IDNA-encoded.

Deliverability checks (a DNS lookup of the domain's MX records) are off: they
need a network at every call, would make tests and offline machines depend on
DNS, and prove little (a domain with MX records can still bounce). The code we
mail is the real check that the address works.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from domain.identity.errors import InvalidEmail


class EmailValidatorAddresses:
    def normalise(self, text: str) -> str:
        try:
            checked = validate_email(
                text.strip(),
                check_deliverability=False,
                allow_smtputf8=False,  # our mailers send without SMTPUTF8: a non-ASCII local part could not be delivered
                allow_quoted_local=False,
                allow_domain_literal=False,
                allow_display_name=False,
                strict=True,  # the 64-character limit of the local part, which relays enforce
            )
        except EmailNotValidError as error:
            raise InvalidEmail(f"that is not an email address we can send to: {error}") from None
        return checked.ascii_email or checked.normalized
