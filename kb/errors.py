"""Errors a user can act on: each says what is wrong and what to do.

These are the library's own: the command prints their message, and the HTTP
layer (api/errors.py) maps each to its status and headers; errors only the
web layer raises (a missing key, a rate limit) live there.
"""

from __future__ import annotations


class KBError(Exception):
    """Base of panel-kb's own errors; `code` is the contract's error code."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelUnavailable(KBError):
    code = "model_unavailable"


class StoreUnavailable(KBError):
    code = "store_unavailable"


class StoreMismatch(KBError):
    code = "store_mismatch"


class NotFound(KBError):
    code = "not_found"


class InvalidInput(KBError):
    """A request field or argument out of bounds or malformed (the API's own validation answers the same code)."""

    code = "invalid_request"


class UnreadableDocument(KBError):
    """An uploaded file that could not be read or chunked; the message says why and what to do."""

    code = "unreadable_document"


class UnsupportedType(KBError):
    code = "unsupported_media_type"


class StoreBusy(KBError):
    """Another process holds the store's write lock."""

    code = "busy"
