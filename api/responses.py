"""OpenAPI descriptions of the error answers, so /openapi.json documents every 4xx a route can give."""

from __future__ import annotations

from typing import Any

from kb.models import ErrorBody

MEANINGS = {
    400: "Bad request",
    401: "A key is needed: send 'Authorization: Bearer <key>'",
    403: "The key is wrong, or a write came from another machine while KB_API_KEY is unset",
    404: "No such document",
    409: "Another writer (an ingest or upload) holds the store; retry after Retry-After seconds",
    413: "The body or file is over the limit (KB_MAX_UPLOAD_MB for uploads)",
    415: "Not a supported file type, or not multipart/form-data",
    422: "A field is missing or out of range, or the file could not be read",
    429: "Too many requests; retry after the Retry-After seconds",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": MEANINGS[code]} for code in codes}


READ_ERRORS = error_responses(400, 413, 422, 429)


def guarded(responses: dict, guard) -> dict:
    """Add the guard's own answers: 401/403 for a key, 403 for the loopback rule, none when open."""
    from api.security import open_to_all, require_loopback

    extra = {} if guard is open_to_all else error_responses(403) if guard is require_loopback else error_responses(401, 403)
    return {**responses, **extra}
