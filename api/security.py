"""Who may read and who may write, as router dependencies chosen when the app is built.

Writes need `Authorization: Bearer $KB_API_KEY` when that is set, and come
only from loopback when it is not (a fresh install cannot be written to from
the network by accident). Reads are open unless `KB_READ_KEY` is set; then the
read key or the api key opens them. The guard is picked from the settings, so
/openapi.json declares a bearer key exactly where this server asks for one.
Keys are compared in constant time and never echoed in errors or logs.

A browser page on another origin is refused any write, whatever its address
(a page on the same machine could otherwise post to a key-less server: the
loopback rule sees only the peer), unless its origin is in KB_CORS_ORIGINS and
the server wants a key. `WriteGate` runs the same check before a body is read,
so a refused upload is answered at once instead of after 25 MB.

`kb serve` on an embedded store also accepts the token it published beside the
store's lock (kb/store/claim.py, readable only by the store's owner): the `kb`
command goes through the server with it, since it may not open the files itself.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.dependencies import get_settings
from api.errors import Forbidden, Unauthorized, error_response
from kb import Settings
from kb.errors import KBError
from kb.opening import local_token

bearer = HTTPBearer(auto_error=False, description="`KB_API_KEY` for writes; `KB_READ_KEY` (or the api key) for reads when it is set.")
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def writer_guard(settings: Settings) -> Callable[..., None]:
    return require_api_key if settings.api_key else require_loopback


def reader_guard(settings: Settings) -> Callable[..., None]:
    return require_read_key if settings.read_key else open_to_all


def require_api_key(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer), settings: Settings = Depends(get_settings)
) -> None:
    check_writer(request, settings)


def require_loopback(request: Request, settings: Settings = Depends(get_settings)) -> None:
    check_writer(request, settings)


def require_read_key(credentials: HTTPAuthorizationCredentials | None = Depends(bearer), settings: Settings = Depends(get_settings)) -> None:
    check_reader(_bearer_of(credentials), settings)


def check_reader(given: str, settings: Settings) -> None:
    """May a request with this bearer key read while KB_READ_KEY is set? Unauthorized or Forbidden if not."""
    keys = [settings.read_key or "", settings.api_key or "", local_token(settings) or ""]
    _check(given, keys, "reading needs 'Authorization: Bearer <KB_READ_KEY>'")


def bearer_key(authorization: str) -> str:
    """The key of an `Authorization: Bearer <key>` header value; "" for none or another scheme."""
    scheme, _, key = authorization.partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def holds_key(given: str, keys: list[str | None]) -> bool:
    """Is `given` one of the keys that are set? Every key compared in constant time: no early exit."""
    matches = [hmac.compare_digest(given.encode(), key.encode()) for key in keys if key]
    return bool(given) and any(matches)


def refusal(refused: KBError) -> JSONResponse:
    """A refused request as the contract's error body, for ASGI gates that answer before any route runs."""
    return error_response(refused)


def open_to_all() -> None:
    """Reads without KB_READ_KEY: the intranet's own proxy guards them."""


def check_writer(request: Request, settings: Settings) -> None:
    """May this request write? Unauthorized (401) or Forbidden (403) if not. Reads only the headers."""
    _refuse_cross_site(request, settings)
    if settings.api_key:
        _check(
            bearer_key(request.headers.get("authorization", "")),
            [settings.api_key, local_token(settings) or ""],
            "this write needs 'Authorization: Bearer <KB_API_KEY>'",
        )
    elif not _is_loopback(request.client.host if request.client else None) and not is_local_command(request, settings):
        raise Forbidden(
            "writes are accepted only from the server's own machine while KB_API_KEY is unset; set KB_API_KEY on the server and send 'Authorization: Bearer <key>'",
        )


def is_local_command(request: Request, settings: Settings) -> bool:
    """Does the request carry the token this server published for the kb command on its machine?"""
    token = local_token(settings)
    given = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


class WriteGate:
    """ASGI middleware: a write that may not happen is refused before its body is read.

    `routes` are the writing routes (their routers carry the writer guard); any
    other request, a wrong method on a write path included, passes untouched.
    """

    def __init__(self, app: ASGIApp, settings: Settings, routes: list[BaseRoute]) -> None:
        self.app, self.settings, self.routes = app, settings, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(route.matches(scope)[0] == Match.FULL for route in self.routes):
            try:
                check_writer(Request(scope), self.settings)
            except KBError as refused:
                await refusal(refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _refuse_cross_site(request: Request, settings: Settings) -> None:
    """Browsers say where a request comes from (Origin, Sec-Fetch-Site); other clients send neither."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if origin is None and site in (None, "same-origin", "none"):
        return
    if origin is not None and origin == f"{request.url.scheme}://{request.headers.get('host', '')}":
        return
    if origin in settings.cors_origin_list and settings.api_key:
        return  # an intranet page allowed to write, with the key (checked next)
    raise Forbidden(
        f"refused a write from a page on another site ({origin or 'origin not sent'}): a browser page may write only from "
        "an origin listed in KB_CORS_ORIGINS on a server with KB_API_KEY set, sending the key",
    )


def _bearer_of(credentials: HTTPAuthorizationCredentials | None) -> str:
    return credentials.credentials if credentials is not None else ""


def _check(given: str, keys: list[str], missing: str) -> None:
    if not given:
        raise Unauthorized(missing, headers=CHALLENGE)
    if not holds_key(given, list(keys)):
        raise Forbidden("the key given is not valid for this request", headers=CHALLENGE)


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
