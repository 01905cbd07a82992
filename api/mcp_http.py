"""MCP over streamable HTTP at /mcp in `kb serve`, behind the API's own access rules.

Reads follow the read key as the API does (KB_READ_KEY: the read key or the api
key; the `kb` command's token). Writes are never offered on the loopback rule:
a request carrying KB_API_KEY reaches a second MCP server that also has
`add_document` and `delete_document`; every other request sees the read-only
tools. Stateless JSON responses, so any worker answers any request. The SDK's
own Host check (for servers without keys on localhost) is off: `kb serve` may
listen beyond this machine; the app's own (api/trusted_hosts.py, against DNS
rebinding) runs before /mcp, and its access rules are the ones above.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from api.mcp_server import build_server
from api.security import bearer_key, check_reader, holds_key, refusal
from kb.errors import KBError
from kb.settings import Settings

PATH = "/mcp"


class McpGate:
    """ASGI: refuse a reader without the read key (401/403 JSON, as the API); route a writer to the write tools.

    The MCP apps are made by each run of the app's lifespan (`app.state.mcp`): the SDK's session manager runs once.
    """

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = bearer_key(Request(scope).headers.get("authorization", ""))
        if self.settings.read_key:
            try:
                check_reader(given, self.settings)
            except KBError as refused:
                await refusal(refused)(scope, receive, send)
                return
        reads, writes = self.app.state.mcp
        writer = writes is not None and holds_key(given, [self.settings.api_key])
        await (writes if writer else reads)(scope, receive, send)


def mount(app: FastAPI, settings: Settings) -> Callable[[], contextlib.AbstractAsyncContextManager[None]]:
    """Add /mcp to the app; returns what each run of the app's lifespan must hold open (the MCP servers)."""
    app.router.routes.append(Route(PATH, endpoint=McpGate(app, settings), methods=["GET", "POST", "DELETE"]))

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        from mcp.server.transport_security import TransportSecuritySettings

        def kb():
            return app.state.kb

        servers = [build_server(kb, writes=False)] + ([build_server(kb, writes=True)] if settings.api_key else [])
        apps: list[ASGIApp] = [
            server.streamable_http_app(
                streamable_http_path=PATH,
                stateless_http=True,
                json_response=True,
                transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            )
            for server in servers
        ]
        app.state.mcp = (apps[0], apps[1] if len(apps) > 1 else None)
        async with contextlib.AsyncExitStack() as stack:
            for server in servers:
                await stack.enter_async_context(server.session_manager.run())
            yield

    return running
