"""Request-scoped access to what the server process owns: its KnowledgeBase and settings."""

from __future__ import annotations

from fastapi import Request

from kb import KnowledgeBase, Settings


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb


def get_settings(request: Request) -> Settings:
    return request.app.state.settings
