"""GET /v1/health: is the server up, and how much is stored."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.dependencies import get_kb
from kb import KnowledgeBase
from kb.models import Health

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=Health)
def health(kb: KnowledgeBase = Depends(get_kb)) -> Health:
    return kb.health()
