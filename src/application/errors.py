"""Errors of the application layer (not rules of the domain), each with a stable ``code``."""


class ApplicationError(Exception):
    code = "application_error"
    status: int | None = None  # the HTTP status, where the kind of error does not already say it

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


# ----- fetching a public page (POST /scrape; CREATORS.md) -----


class UrlNotAllowed(ApplicationError):
    """Not http(s), or the host resolves to an address the server must not reach (loopback, private, ...)."""

    code = "url_not_allowed"
    status = 422


class PageTooLarge(ApplicationError):
    code = "page_too_large"
    status = 422


class PageUnusable(ApplicationError):
    """Not HTML, an HTTP error, too many redirects, or a connection that failed."""

    code = "page_unusable"
    status = 422


class FetchTimeout(ApplicationError):
    code = "fetch_timeout"
    status = 504


# ----- uploads (POST /upload; CREATORS.md) -----


class UnsupportedMediaType(ApplicationError):
    code = "unsupported_media_type"
    status = 415


class FileTooLarge(ApplicationError):
    code = "file_too_large"
    status = 413


class InvalidImage(ApplicationError):
    code = "invalid_image"
    status = 422


class FileNotFound(ApplicationError):
    """No file has this id, or the id is not one (64 lowercase hex digits)."""

    code = "file_not_found"
    status = 404
