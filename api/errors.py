"""Every error as the contract's JSON: {"error": {"code", "message"}}; never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from kb.errors import Forbidden, InvalidInput, KBError, NotFound, RateLimited, StoreBusy, TooLarge, Unauthorized, UnsupportedType

log = logging.getLogger("panel_kb.api")
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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KBError)
    async def kb_error(_: Request, exc: KBError) -> JSONResponse:
        headers = {"Retry-After": str(BUSY_RETRY_SECONDS)} if isinstance(exc, StoreBusy) else exc.headers
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=headers)

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
