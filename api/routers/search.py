"""POST /v1/search, POST /v1/ask and POST /v1/ask/stream."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.dependencies import get_kb
from api.errors import error_body
from kb import KnowledgeBase
from kb.errors import KBError
from kb.models import AskRequest, AskResponse, SearchRequest, SearchResponse

router = APIRouter(prefix="/v1", tags=["search"])
streams = APIRouter(prefix="/v1", tags=["search"])  # its errors are JSON, its answer an event stream
log = logging.getLogger("panel_kb.api")


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, kb: KnowledgeBase = Depends(get_kb)) -> SearchResponse:
    """Passages ranked by hybrid (meaning + keyword) relevance, each with its citation."""
    return kb.search(body.query, top_k=body.top_k, filters=body.filters, mode=body.mode)


@router.post("/ask", response_model=AskResponse)
def ask(body: AskRequest, kb: KnowledgeBase = Depends(get_kb)) -> AskResponse:
    """A short answer; every claim ends with [n] pointing into `citations`. Extractive, or written by the team's
    LLM and verified sentence by sentence (`mode`); `fallback` says why a generative answer was not given."""
    return kb.ask(body.question, top_k=body.top_k, filters=body.filters, max_words=body.max_words, mode=body.mode)


@streams.post("/ask/stream", response_class=EventSourceResponse)
def ask_stream(body: AskRequest, kb: KnowledgeBase = Depends(get_kb)) -> Iterator[ServerSentEvent]:
    """The same answer as Server-Sent Events: `delta` events ({"text"}) while it is written (a model's draft,
    not yet verified; an extractive answer comes as one delta), then one `answer` event (the verified
    AskResponse), or one `error` event ({"error": {"code", "message"}}). Render `text` as text, never HTML."""
    try:
        for kind, value in kb.ask_stream(body.question, top_k=body.top_k, filters=body.filters, max_words=body.max_words, mode=body.mode):
            yield ServerSentEvent(event=kind, data={"text": value} if kind == "delta" else value)
    except KBError as exc:
        yield ServerSentEvent(event="error", data=error_body(exc.code, exc.message))
    except Exception:  # noqa: BLE001 - the stream has started: the client gets an error event, the log the traceback
        log.exception("ask stream failed")
        yield ServerSentEvent(event="error", data=error_body("internal", "the answer failed on the server; the log says why"))
