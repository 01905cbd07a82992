"""The FastAPI app: routers, error handlers, CORS, and the one KnowledgeBase it serves."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import install_error_handlers
from api.routers import health, search
from kb import KnowledgeBase, Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        kb = KnowledgeBase(settings)
        # Load the model, open the store and bring BM25 up to date before the first request.
        kb.embedder
        kb.store
        kb.sync_sparse()
        app.state.kb = kb
        yield

    app = FastAPI(
        title="panel-kb",
        version="0.1.0",
        description="Cited semantic search over engineering-career essays, panel transcripts and book notes.",
        lifespan=lifespan,
    )
    if settings.cors_origin_list:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(search.router)
    return app
