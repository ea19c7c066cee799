"""Errors of the application layer (not rules of the domain), each with a stable ``code``."""


class ApplicationError(Exception):
    code = "application_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidQuery(ApplicationError):
    """A query's parameters cannot be answered (a cursor that is not ours, a position not yet written)."""

    code = "invalid_query"


class PositionNotWritten(InvalidQuery):
    code = "min_position_not_written"


class ReadModelBehind(ApplicationError):
    """The view did not reach the asked position in time; the client may retry shortly."""

    code = "read_model_behind"


class ServiceUnavailable(ApplicationError):
    """The system cannot take this now (storage failed, the engine is recovering); nothing was done, retry shortly."""

    code = "unavailable"
