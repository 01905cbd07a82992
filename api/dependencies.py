"""Request-scoped access to what the server process owns: its KnowledgeBase, settings and write lock."""

from __future__ import annotations

import threading

from fastapi import Request

from kb import KnowledgeBase, Settings


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_write_lock(request: Request) -> threading.Lock:
    """One write at a time per process: uploads and deletes run in a thread pool."""
    return request.app.state.write_lock
