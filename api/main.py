"""The FastAPI app: routers, error handlers, limits, CORS, and the one KnowledgeBase it serves.

Docs at /docs and /redoc are served with their JavaScript and CSS from this
server (fastapi-offline ships them), so they work on an air-gapped intranet.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from api import mcp_http
from api.body_limits import BodyLimit
from api.errors import install_error_handlers
from api.http_policy import HeadAsGet, RefusingCORS, SecurityHeaders
from api.rate_limit import RateLimiter, rate_limited
from api.responses import READ_ERRORS, STREAM_ERRORS, error_responses, guarded
from api.routers import backup, contract, doctor, documents, health, people, search, web
from api.security import WriteGate, reader_guard, writer_guard
from api.trusted_hosts import TrustedHosts
from kb import KnowledgeBase, Settings
from kb.contract import version

if TYPE_CHECKING:
    from kb.embedding import ModelCache  # the model's modules load when the app starts, not on import

DESCRIPTION = """Cited semantic search over engineering-career essays, panel transcripts and book notes.

Reads (search, ask, documents) are open unless `KB_READ_KEY` is set. Writes (upload, delete) need
`Authorization: Bearer $KB_API_KEY` when it is set, and come only from the server's own machine
when it is not. Every error is `{"error": {"code": str, "message": str}}`."""


def create_app(settings: Settings | None = None, models: ModelCache | None = None) -> FastAPI:
    """The API and the page over one KnowledgeBase, opened at startup; `models` as in KnowledgeBase."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        kb = KnowledgeBase(settings, models=models)
        kb.warm_up()
        backup.clear_stale(settings.data_dir)
        app.state.kb = kb
        async with mcp_running():  # MCP over streamable HTTP at /mcp (api/mcp_http.py)
            yield
        kb.close()

    app = FastAPIOffline(title="panel-kb", version=version(), description=DESCRIPTION, lifespan=lifespan, favicon_url="data:,")
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter()
    # Outermost last: CORS headers reach every answer, refused writes never reach the body limit or a body.
    app.add_middleware(BodyLimit, upload_bytes=int(settings.max_upload_mb * (1 << 20)))
    app.add_middleware(
        WriteGate, settings=settings, routes=[*documents.writes.routes, *people.writes.routes, *doctor.router.routes, *backup.router.routes]
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        RefusingCORS,
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    app.add_middleware(TrustedHosts, allowed=settings.allowed_host_list)  # before anything else reads the request
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    read_guard, write_guard = reader_guard(settings), writer_guard(settings)
    app.include_router(health.router)
    app.include_router(contract.router)
    app.include_router(search.router, dependencies=[Depends(read_guard), Depends(rate_limited)], responses=guarded(READ_ERRORS, read_guard))
    app.include_router(
        search.streams, dependencies=[Depends(read_guard), Depends(rate_limited)], responses=guarded(STREAM_ERRORS, read_guard, stream=True)
    )
    app.include_router(documents.reads, dependencies=[Depends(read_guard)], responses=guarded(error_responses(400), read_guard))
    app.include_router(documents.writes, dependencies=[Depends(write_guard)], responses=guarded({}, write_guard))
    app.include_router(people.writes, dependencies=[Depends(write_guard)], responses=guarded({}, write_guard))
    app.include_router(people.reads, dependencies=[Depends(read_guard)], responses=guarded(error_responses(400), read_guard))
    app.include_router(doctor.router, dependencies=[Depends(write_guard)], responses=guarded(error_responses(400, 413, 422), write_guard))
    # The archive holds everything a reader may read: the read key's rule as well as the writers'.
    app.include_router(backup.router, dependencies=[Depends(read_guard), Depends(write_guard)], responses=guarded({}, write_guard))
    app.include_router(web.router)
    mcp_running = mcp_http.mount(app, settings)
    return app
