"""The knowledge base as a Model Context Protocol server, for assistants (Claude Desktop, IDE agents, any MCP client).

Built on the official SDK's MCPServer: tools are plain functions with type hints
and docstrings the SDK turns into schemas, and their pydantic return types
become structured content, so an assistant gets the same shapes the HTTP API
gives (speaker, panel, time and page on every passage, to cite). Reads only,
unless `writes` is set: then `add_document` and `delete_document` go through
the same ingest path as `kb ingest` and DELETE /v1/documents. Served over stdio
by `kb mcp` and over streamable HTTP at /mcp by `kb serve` (api/mcp_http.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from kb.contract import MAX_PASSAGE_OFFSET, MAX_WORDS, PASSAGE_PAGE, TOP_K, Kind, version
from kb.errors import KBError
from kb.models import AskResponse, DocumentInfo, DocumentPassages, IngestReport, Person, PersonPage, SearchFilters, SearchResponse
from kb.protocol import KnowledgeBaseLike

INSTRUCTIONS = """panel-kb holds what engineers say about their careers: panel transcripts (who said what, when),
essays and book notes. Use `search` to find passages and `ask` for a short answer whose every sentence cites a
passage as [n]. Cite what you use with its speaker, panel title, time (hh:mm:ss) or page, as the results give them.
Use `list_documents` to see what is stored, `list_people` and `get_person` for who speaks (under every name they go
by) and what they said, and `get_document` to read a passage in its context."""


def build_server(kb: Callable[[], KnowledgeBaseLike], writes: bool = False, name: str = "panel-kb"):
    """An MCPServer over the knowledge base `kb()` returns (this process's, or a served store's through its server)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer(name=name, instructions=INSTRUCTIONS, version=version())
    tool = _tool_of(server)

    def guarded(call: Callable[[], Any]) -> Any:
        """A KBError (bad input, no such document, a busy store) as a tool error the assistant reads, not a crash."""
        try:
            return call()
        except KBError as error:
            raise ToolError(error.message) from None

    @tool
    def search(
        query: Annotated[str, Field(min_length=1, max_length=2000, description="What to look for, in plain words.")],
        top_k: Annotated[int, Field(ge=TOP_K.low, le=TOP_K.high, description="How many passages.")] = TOP_K.default,
        kind: Annotated[Kind | None, Field(description="Only transcripts (panels), essays or book notes.")] = None,
        person: Annotated[str | None, Field(description="Only passages where this person speaks: any name they go by (see list_people).")] = None,
        doc_id: Annotated[str | None, Field(description="Only this document.")] = None,
        speaker: Annotated[str | None, Field(description="The same as `person` (its older name).")] = None,
    ) -> SearchResponse:
        """Find passages by meaning and keywords. Each result has its text, document title, kind, speakers and, for
        transcripts, start time (hh:mm:ss), for PDFs the page: cite those. Use for "where does anyone talk about X"."""
        return guarded(lambda: kb().search(query, top_k=top_k, filters=SearchFilters(doc_id=doc_id, kind=kind, speaker=person or speaker)))

    @tool
    def ask(
        question: Annotated[str, Field(min_length=1, max_length=2000, description="The question, as a person would ask it.")],
        max_words: Annotated[int, Field(ge=MAX_WORDS.low, le=MAX_WORDS.high, description="Cap on the answer's words.")] = MAX_WORDS.default,
        top_k: Annotated[int, Field(ge=TOP_K.low, le=TOP_K.high, description="Most passages the answer may cite.")] = TOP_K.default,
        kind: Annotated[Kind | None, Field(description="Only transcripts, essays or book notes.")] = None,
        person: Annotated[str | None, Field(description="Only what this person said: any name they go by (see list_people).")] = None,
        speaker: Annotated[str | None, Field(description="The same as `person` (its older name).")] = None,
    ) -> AskResponse:
        """A short answer from the stored passages; every sentence ends with [n] pointing into `citations`, and
        transcript quotes say who said it, in which panel, at what time. `answered` is false when nothing stored is
        relevant (the citations are then only the nearest passages). Use for "what did Maya Chen say about X"."""
        return guarded(lambda: kb().ask(question, top_k=top_k, filters=SearchFilters(kind=kind, speaker=person or speaker), max_words=max_words))

    @tool
    def list_documents(
        kind: Annotated[Kind | None, Field(description="Only this kind.")] = None,
        speaker: Annotated[str | None, Field(description="Only documents where this person speaks (any name they go by).")] = None,
    ) -> list[DocumentInfo]:
        """Every stored document: doc_id, title, kind, passage count, speakers, when it was ingested."""
        documents = guarded(lambda: kb().documents())
        spoken_in = None if speaker is None else guarded(lambda: _documents_of(kb(), speaker))
        return [d for d in documents if (kind is None or d.kind == kind) and (spoken_in is None or d.doc_id in spoken_in)]

    @tool
    def list_people(kind: Annotated[Kind | None, Field(description="Only people who speak in documents of this kind.")] = None) -> list[Person]:
        """Everyone who speaks in the stored documents, most passages first: their name, the other names they go by
        (aliases, first names, merged labels), how many documents and passages, which kinds, first and last date."""
        return [p for p in guarded(lambda: kb().people()) if kind is None or kind in p.kinds]

    @tool
    def get_person(
        person: Annotated[str, Field(min_length=1, max_length=200, description="Any name they go by (see list_people).")],
    ) -> PersonPage:
        """One person: the topics they speak about most, and per document the times they speak and their own lines
        (with the passage position to read each in context with get_document)."""
        return guarded(lambda: kb().person(person))

    @tool
    def get_document(
        doc_id: Annotated[str, Field(min_length=1, description="A doc_id from search results or list_documents.")],
        offset: Annotated[int, Field(ge=0, le=MAX_PASSAGE_OFFSET, description="First passage (0-based position).")] = 0,
        limit: Annotated[int, Field(ge=PASSAGE_PAGE.low, le=PASSAGE_PAGE.high, description="How many passages.")] = 20,
    ) -> DocumentPassages:
        """A document's passages in reading order, to read a quote in its context: transcripts as turns (speaker,
        time, words), PDFs with their pages. Page with offset/limit; `next_offset` is null on the last page."""
        return guarded(lambda: kb().passages_of(doc_id, offset=offset, limit=limit))

    if writes:
        _add_write_tools(server, kb, guarded)
    return server


def _documents_of(kb: KnowledgeBaseLike, name: str) -> set[str]:
    """The doc_ids this person speaks in (none when nobody goes by `name`): documents list people, and the people
    list says who goes by which name; neither reads a passage."""
    wanted = name.casefold()
    person = next((p.name for p in kb.people() if wanted in {n.casefold() for n in [p.name, *p.aliases]}), None)
    return {d.doc_id for d in kb.documents() if person in d.speakers} if person else set()


def _tool_of(server) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`server.tool()` with the docstring's indentation taken out: the description is what a model reads."""
    return lambda fn: server.tool(description=inspect.cleandoc(fn.__doc__ or ""))(fn)


def _add_write_tools(server, kb: Callable[[], KnowledgeBaseLike], guarded: Callable[[Callable[[], Any]], Any]) -> None:
    """Upload and delete, through the same ingest path and write lock as the CLI and the HTTP API."""
    from ingest import ingest_bytes

    tool = _tool_of(server)

    @tool
    def add_document(
        name: Annotated[str, Field(min_length=1, description="File name with its format's suffix (.md, .txt, .vtt, .srt), e.g. notes/panel.vtt.")],
        text: Annotated[str, Field(min_length=1, description="The file's text.")],
        kind: Annotated[Kind | None, Field(description="Force the kind instead of guessing it.")] = None,
    ) -> IngestReport:
        """Store (or replace) a document from its text; an unchanged text changes nothing."""

        return guarded(lambda: ingest_bytes(name, text.encode(), kb(), kind=kind, wait=30))

    @tool
    def delete_document(doc_id: Annotated[str, Field(min_length=1, description="The doc_id to remove.")]) -> dict[str, str]:
        """Remove a document and all its passages."""
        guarded(lambda: kb().delete(doc_id, wait=30))
        return {"deleted": doc_id}
