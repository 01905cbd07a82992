"""Who may read and who may write, as router dependencies chosen when the app is built.

Writes need `Authorization: Bearer $KB_API_KEY` when that is set, and come
only from loopback when it is not (a fresh install cannot be written to from
the network by accident). Reads are open unless `KB_READ_KEY` is set; then the
read key or the api key opens them. The guard is picked from the settings, so
/openapi.json declares a bearer key exactly where this server asks for one.
Keys are compared in constant time and never echoed in errors or logs.

`kb serve` on an embedded store also accepts the token it published beside the
store's lock (kb/store_claim.py, readable only by the store's owner): the `kb`
command goes through the server with it, since it may not open the files itself.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.dependencies import get_settings
from kb import Settings
from kb.store_claim import served_token

bearer = HTTPBearer(auto_error=False, description="`KB_API_KEY` for writes; `KB_READ_KEY` (or the api key) for reads when it is set.")
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def writer_guard(settings: Settings) -> Callable[..., None]:
    return require_api_key if settings.api_key else require_loopback


def reader_guard(settings: Settings) -> Callable[..., None]:
    return require_read_key if settings.read_key else open_to_all


def require_api_key(credentials: HTTPAuthorizationCredentials | None = Depends(bearer), settings: Settings = Depends(get_settings)) -> None:
    _check(credentials, [settings.api_key or "", served_token(settings.data_dir) or ""], "this write needs 'Authorization: Bearer <KB_API_KEY>'")


def require_loopback(request: Request, settings: Settings = Depends(get_settings)) -> None:
    if not _is_loopback(request.client.host if request.client else None) and not is_local_command(request, settings):
        raise HTTPException(403, "writes are accepted only from the server's own machine while KB_API_KEY is unset; set KB_API_KEY on the server and send 'Authorization: Bearer <key>'")


def require_read_key(credentials: HTTPAuthorizationCredentials | None = Depends(bearer), settings: Settings = Depends(get_settings)) -> None:
    keys = [settings.read_key or "", settings.api_key or "", served_token(settings.data_dir) or ""]
    _check(credentials, keys, "reading needs 'Authorization: Bearer <KB_READ_KEY>'")


def open_to_all() -> None:
    """Reads without KB_READ_KEY: the intranet's own proxy guards them."""


def _check(credentials: HTTPAuthorizationCredentials | None, keys: list[str], missing: str) -> None:
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, missing, headers=CHALLENGE)
    given = credentials.credentials.encode()
    matches = [hmac.compare_digest(given, key.encode()) for key in keys if key]  # every key compared: no early exit
    if not any(matches):
        raise HTTPException(403, "the key given is not valid for this request", headers=CHALLENGE)


def is_local_command(request: Request, settings: Settings) -> bool:
    """Does the request carry the token this server published for the kb command on its machine?"""
    token = served_token(settings.data_dir)
    given = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
