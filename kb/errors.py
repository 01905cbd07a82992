"""Errors a user can act on: each says what is wrong and what to do."""

from __future__ import annotations


class KBError(Exception):
    """Base of panel-kb's own errors; `code` is the contract's error code."""

    code = "error"
    status = 400

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers  # for an HTTP answer: a challenge, a Retry-After


class ModelUnavailable(KBError):
    code = "model_unavailable"
    status = 503


class StoreUnavailable(KBError):
    code = "store_unavailable"
    status = 503


class StoreMismatch(KBError):
    code = "store_mismatch"
    status = 409


class NotFound(KBError):
    code = "not_found"
    status = 404


class InvalidInput(KBError):
    """A request field or argument out of bounds or malformed (the API's own validation answers the same code)."""

    code = "invalid_request"
    status = 422


class Unauthorized(KBError):
    code = "unauthorized"
    status = 401


class Forbidden(KBError):
    code = "forbidden"
    status = 403


class TooLarge(KBError):
    code = "too_large"
    status = 413


class RateLimited(KBError):
    code = "rate_limited"
    status = 429


class UnreadableDocument(KBError):
    """An uploaded file that could not be read or chunked; the message says why and what to do."""

    code = "unreadable_document"
    status = 422


class UnsupportedType(KBError):
    code = "unsupported_media_type"
    status = 415


class StoreBusy(KBError):
    """Another process holds the store's write lock."""

    code = "busy"
    status = 409
