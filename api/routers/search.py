"""POST /v1/search and POST /v1/ask."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.dependencies import get_kb
from kb import KnowledgeBase
from kb.models import AskRequest, AskResponse, SearchRequest, SearchResponse

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, kb: KnowledgeBase = Depends(get_kb)) -> SearchResponse:
    """Passages ranked by hybrid (meaning + keyword) relevance, each with its citation."""
    return kb.search(body.query, top_k=body.top_k, filters=body.filters)


@router.post("/ask", response_model=AskResponse)
def ask(body: AskRequest, kb: KnowledgeBase = Depends(get_kb)) -> AskResponse:
    """A short extractive answer; every claim ends with [n] pointing into `citations`."""
    return kb.ask(body.question, top_k=body.top_k, filters=body.filters, max_words=body.max_words)
