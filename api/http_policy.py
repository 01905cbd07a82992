"""What every answer carries and how the edges of HTTP are handled: headers, HEAD, refused CORS preflights.

- `X-Content-Type-Options: nosniff` on everything, and a Content-Security-Policy
  on every answer that has none of its own: the API docs get one that allows only
  this server's scripts and styles; JSON gets `frame-ancestors 'none'`.
- HEAD is answered for every GET route (FastAPI routes answer only the methods
  they declare): the GET runs, its headers go out, its body does not.
- A CORS preflight from an origin not in KB_CORS_ORIGINS gets the contract's
  JSON error (Starlette answers plain text), and the log says once per origin
  what to do (for requests that need no preflight too), since a browser hides
  the reason from the page's script.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

log = logging.getLogger("panel_kb.api")
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DEFAULT_POLICY = "frame-ancestors 'none'"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in DOCS_PATHS else DEFAULT_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class RefusingCORS(CORSMiddleware):
    """Starlette's CORS, with refusals in the contract's shape and named in the log."""

    _logged: set[str]

    def preflight_response(self, request_headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        origin = request_headers.get("origin", "")
        if not self.is_allowed_origin(origin):
            self._say_refused(origin)
            message = (
                f"this server does not accept requests from pages on {origin or 'other origins'}: list the origin in the server's KB_CORS_ORIGINS"
            )
        else:
            message = f"the preflight was refused: {bytes(response.body).decode(errors='replace')}"
        return JSONResponse(error_body("forbidden", message), status_code=403, headers={"Vary": "Origin"})

    async def simple_response(self, scope: Scope, receive: Receive, send: Send, request_headers: Headers) -> None:
        """A GET or form POST from another origin needs no preflight: it is answered, and the browser hides the
        answer from the page's script. Said in the log too, since the page cannot tell why."""
        origin = request_headers.get("origin", "")
        if origin and not self.is_allowed_origin(origin) and urlsplit(origin).netloc != request_headers.get("host"):
            self._say_refused(origin)
        await super().simple_response(scope, receive, send, request_headers)

    def _say_refused(self, origin: str) -> None:
        """One warning per origin (at most 1000 remembered), naming the setting that lets it in."""
        logged = self.__dict__.setdefault("_logged", set())
        if origin not in logged and len(logged) < 1000:
            logged.add(origin)
            log.warning(
                "refused cross-origin request from %s: add it to KB_CORS_ORIGINS to let its pages call this API", origin or "a page of another origin"
            )
