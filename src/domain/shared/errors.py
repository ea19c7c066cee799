"""Domain errors carry a stable ``code``; their kind tells an entrypoint how to answer."""


class DomainError(Exception):
    """A command broke a rule. ``code`` is stable and part of the public API."""

    code: str = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleViolation(DomainError):
    """The command is well formed but a business rule refuses it."""


class NotFound(DomainError):
    """The command names something that does not exist."""


class Conflict(DomainError):
    """The command collides with the current state (a duplicate, a closed thing)."""


class TooSoon(DomainError):
    """The command repeats something that may only happen once in a while; try again later."""

    retry_after_seconds: int = 60


class Unauthenticated(DomainError):
    """The caller's proof of who they are does not hold (a signature, a token, a challenge)."""


class Forbidden(DomainError):
    """The caller is who they say, but may not do this (403)."""
