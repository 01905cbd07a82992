"""Answer only requests addressed to this server by a name it knows: the guard against DNS rebinding.

A page on `evil.example` whose name an attacker points at 127.0.0.1 is, to the
browser, same-origin with itself: its requests carry `Host: evil.example:PORT`
and a matching `Origin`, and reach a server on loopback as if typed there. Only
the Host header tells them apart, so every request is checked against the names
this server answers to (the way Django's ALLOWED_HOSTS and Starlette's
TrustedHostMiddleware do), before any route, MCP included:

- an IP address (v4 or v6) is always accepted: a rebinding page is reached by a
  name, never by an address, so an address in Host is a client that typed it;
- `localhost`, `*.localhost` and this machine's own host name are accepted;
- anything else must be listed in KB_ALLOWED_HOSTS (`kb.example.com`, a leading
  dot for a domain and its subdomains: `.corp.example`, or `*` for any name —
  for a server behind a proxy that checks names itself).
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_body

log = logging.getLogger("panel_kb.api")


class TrustedHosts:
    """ASGI: 400 in the contract's shape for a request whose Host this server does not answer to."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.allowed = {_domain(name) for name in allowed if name.strip()}
        self.own_names = {"localhost", socket.gethostname().lower()}
        self._logged: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = host_name(Headers(scope=scope).get("host", ""))
        if self.answers_to(host):
            await self.app(scope, receive, send)
            return
        if host not in self._logged and len(self._logged) < 1000:
            self._logged.add(host)
            log.warning("refused a request addressed to %r: add it to KB_ALLOWED_HOSTS if this server is reached by that name", host)
        message = (
            f"this server does not answer to the name {host!r}" if host else "the request names no host (no Host header)"
        ) + ": if it is reached by that name, list it in the server's KB_ALLOWED_HOSTS (a leading dot for a whole domain)"
        await JSONResponse(error_body("invalid_host", message), status_code=400)(scope, receive, send)

    def answers_to(self, host: str) -> bool:
        """Is `host` (a name or address, without port) one this server answers to?"""
        if not host:
            return False
        if "*" in self.allowed or is_address(host) or host in self.own_names or host.endswith(".localhost"):
            return True
        return host in self.allowed or any(name.startswith(".") and (host == name[1:] or host.endswith(name)) for name in self.allowed)


def _domain(name: str) -> str:
    """An allowed name as matched: `*.corp.example` (Starlette's way) means `.corp.example`; a port is dropped."""
    name = host_name(name)
    return name[1:] if name.startswith("*.") else name


def host_name(header: str) -> str:
    """The Host header's name or address, lower-case, without port, brackets or a trailing dot."""
    header = header.strip().lower()
    if header.startswith("["):  # [::1]:8000
        return header[1 : header.find("]")] if "]" in header else ""
    if header.count(":") == 1:
        header = header.rsplit(":", 1)[0]
    return header.rstrip(".")


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
