"""Every error as the contract's JSON: {"error": {"code", "message"}}; never a traceback.

The library's errors (kb/errors.py) carry a code and a message; their HTTP
status is decided here. Errors only the web layer raises (no key, a wrong key,
a body too large, too many requests) are `ApiError`s that carry their status
and headers (a challenge, a Retry-After).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from kb.errors import (
    InvalidInput,
    KBError,
    ModelUnavailable,
    NotFound,
    StoreBusy,
    StoreMismatch,
    StoreUnavailable,
    UnreadableDocument,
    UnsupportedType,
)

log = logging.getLogger("panel_kb.api")


class ApiError(KBError):
    """An error of the web layer itself, with its status and any headers its answer needs."""

    status = 400

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers = headers


class Unauthorized(ApiError):
    code = "unauthorized"
    status = 401


class Forbidden(ApiError):
    code = "forbidden"
    status = 403


class TooLarge(ApiError):
    code = "too_large"
    status = 413


class RateLimited(ApiError):
    code = "rate_limited"
    status = 429


# The HTTP status of each library error (a subclass answers as its nearest listed base).
STATUS: dict[type[KBError], int] = {
    InvalidInput: 422,
    UnreadableDocument: 422,
    UnsupportedType: 415,
    NotFound: 404,
    StoreBusy: 409,
    StoreMismatch: 409,
    StoreUnavailable: 503,
    ModelUnavailable: 503,
}
# A writer holds the store's lock for one file or batch at a time (seconds): a client asked to come back
# after this long usually finds it free.
BUSY_RETRY_SECONDS = 10
# Codes for HTTP errors raised by FastAPI and Starlette; where kb has an error for the status, its code.
CODES = {
    400: "bad_request",
    401: Unauthorized.code,
    403: Forbidden.code,
    404: NotFound.code,
    409: StoreBusy.code,
    405: "method_not_allowed",
    413: TooLarge.code,
    415: UnsupportedType.code,
    422: InvalidInput.code,
    429: RateLimited.code,
}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def status_of(error: KBError) -> int:
    """The HTTP status an error answers with: its own for an ApiError, else the nearest listed class's (400 if none)."""
    if isinstance(error, ApiError):
        return error.status
    return next((STATUS[cls] for cls in type(error).__mro__ if cls in STATUS), 400)


def error_response(error: KBError) -> JSONResponse:
    """A KBError as the contract's error answer; a busy store says when to come back."""
    headers = {"Retry-After": str(BUSY_RETRY_SECONDS)} if isinstance(error, StoreBusy) else getattr(error, "headers", None)
    return JSONResponse(error_body(error.code, error.message), status_code=status_of(error), headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KBError)
    async def kb_error(_: Request, exc: KBError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            message = error.get("msg", "invalid")
            if error.get("type") == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == r"\S":
                message = "is blank: say what you are looking for"
            problems.append(f"{where or 'body'}: {message}")
        return JSONResponse(error_body(InvalidInput.code, "; ".join(problems) or "invalid request"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return JSONResponse(error_body(CODES.get(exc.status_code, "error"), str(exc.detail)), status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(error_body("internal", "the server hit an unexpected error; it is logged"), status_code=500)


def _allowed_methods(request: Request) -> str:
    """Every method some route answers for this path (Starlette names only the first route's).

    Asked of the routes themselves, one method at a time, so included routers count too.
    """
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)
