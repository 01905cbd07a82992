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


def error_responses(*codes: int, stream: bool = False) -> dict[int | str, dict[str, Any]]:
    """Each code's answer as ErrorBody JSON. `stream`: for a route whose own answer is text/event-stream, where
    FastAPI would document a `model` under that media type, the JSON is spelled out."""
    if stream:
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        return {code: {"description": MEANINGS[code], "content": body} for code in codes}
    return {code: {"model": ErrorBody, "description": MEANINGS[code]} for code in codes}


READ_ERRORS = error_responses(400, 413, 422, 429)
STREAM_ERRORS = error_responses(400, 413, 422, 429, stream=True)


def guarded(responses: dict, guard, stream: bool = False) -> dict:
    """Add the guard's own answers: 401/403 for a key, 403 for the loopback rule, none when open."""
    from api.security import open_to_all, require_loopback

    codes = () if guard is open_to_all else (403,) if guard is require_loopback else (401, 403)
    return {**responses, **error_responses(*codes, stream=stream)}
