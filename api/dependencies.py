"""Request-scoped access to the one KnowledgeBase this server process owns."""

from __future__ import annotations

from fastapi import Request

from kb import KnowledgeBase


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb
