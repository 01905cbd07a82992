"""GET/POST /v1/documents, GET/DELETE /v1/documents/{doc_id}, GET .../{doc_id}/passages: list, read, upload and remove documents.

doc_ids are relative paths (`2026/staff-panel.vtt`), so the routes take the
rest of the path. Uploads go through the same readers, chunking and
idempotency as `kb ingest`; writes take the store's write lock, shared with `kb ingest`.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.convertors import Convertor, register_url_convertor

from api.dependencies import get_kb, get_settings
from api.errors import TooLarge
from api.responses import error_responses
from api.security import is_local_command
from ingest import ingest_bytes
from ingest.speaker_names import from_json as speaker_names_from_json
from ingest.upload_names import upload_doc_id
from kb import KnowledgeBase, Settings
from kb.contract import MAX_PASSAGE_OFFSET, PASSAGE_PAGE, SUPPORTED
from kb.errors import NotFound, UnreadableDocument, UnsupportedType
from kb.models import Deleted, DocumentInfo, DocumentList, DocumentPassages, IngestReport, Kind


class DocIdConvertor(Convertor[str]):
    """A doc_id in a path: a relative path, slashes and all, that does not end in "/passages" or "/transcript"
    (the document's passages, a recording's transcript). Every doc_id ends in a file suffix (.vtt, .md, ...), so
    none is shut out: `talks/keynote/transcript.vtt` is a document."""

    regex = r"(?s:.*)(?<!/passages)(?<!/transcript)"  # (?s): a stored id with a line break (written before names were checked) can be deleted

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("doc_id", DocIdConvertor())

# Two routers for one resource: app creation puts the read guard on one and the write guard on the other.
reads = APIRouter(prefix="/v1/documents", tags=["documents"])
writes = APIRouter(prefix="/v1/documents", tags=["documents"])
UPLOAD_ERRORS = error_responses(400, 409, 413, 415, 422)


@reads.get("", response_model=DocumentList)
def list_documents(request: Request, kb: KnowledgeBase = Depends(get_kb), settings: Settings = Depends(get_settings)) -> DocumentList | JSONResponse:
    """Every stored document, by doc_id."""
    documents = kb.documents()
    if is_local_command(request, settings):  # `kb ingest --prune` through this server: which folder each came from
        return JSONResponse({"documents": [{**d.model_dump(), "source_root": d.source_root} for d in documents]})
    return DocumentList(documents=documents)


@reads.get(
    "/{doc_id:path}/transcript",
    response_model=None,
    responses={
        200: {"content": {"text/vtt": {"schema": {"type": "string"}}}, "description": "The recording's transcript (WebVTT)."},
        **error_responses(404),
    },
)
def transcript(doc_id: str, kb: KnowledgeBase = Depends(get_kb)) -> PlainTextResponse:
    """A recording's transcript as WebVTT, made when it was transcribed: correct it and ingest the `.vtt` in its place."""
    name = doc_id.rsplit("/", 1)[-1].rsplit(".", 1)[0] + ".vtt"
    return PlainTextResponse(
        kb.transcript_of(doc_id), media_type="text/vtt; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'}
    )


@reads.get("/{doc_id:path}/passages", response_model=DocumentPassages, responses=error_responses(404, 422))
def document_passages(
    doc_id: str,
    offset: int = Query(0, ge=0, le=MAX_PASSAGE_OFFSET, description="Passages to skip; pass the previous page's `next_offset`."),
    limit: int = Query(PASSAGE_PAGE.default, ge=PASSAGE_PAGE.low, le=PASSAGE_PAGE.high, description="Passages per page."),
    kb: KnowledgeBase = Depends(get_kb),
) -> DocumentPassages:
    """A document's passages in reading order, a page at a time, with transcript turns and their times:
    what the context view (/doc/{doc_id}) shows around a cited passage."""
    return kb.passages_of(doc_id, offset, limit)


@reads.get("/{doc_id:doc_id}", response_model=DocumentInfo, responses=error_responses(404))
def get_document(doc_id: str, kb: KnowledgeBase = Depends(get_kb)) -> DocumentInfo:
    """One document's record (title, kind, speakers, passages, when it was ingested)."""
    document = kb.document(doc_id)
    if document is None:
        raise NotFound(f"no document with doc_id '{doc_id}': GET /v1/documents lists them")
    return document


def require_multipart(request: Request) -> None:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedType("send the document as multipart/form-data with the file in field 'file'")


@writes.post("", response_model=IngestReport, dependencies=[Depends(require_multipart)], responses=UPLOAD_ERRORS)
def upload_document(
    file: UploadFile = File(..., description=f"The document ({SUPPORTED}); its file name becomes the doc_id."),
    kind: Kind | None = Form(None, description="Force the kind instead of guessing it."),
    doc_id: str | None = Form(None, description="Store under this relative path instead of the file name, e.g. 2026/staff-panel.vtt."),
    source_root: str | None = Form(
        None, max_length=1024, description="The folder a `kb ingest` read it from, so a later `kb ingest FOLDER --prune` knows it."
    ),
    speaker_names: str | None = Form(
        None, max_length=20_000, description='Transcript labels mapped to people, as a JSON object: {"SPEAKER_00": "Maya Chen"}.'
    ),
    kb: KnowledgeBase = Depends(get_kb),
    settings: Settings = Depends(get_settings),
) -> IngestReport:
    """Add or replace one document; an unchanged file changes nothing. Answers with the ingest report."""
    name = upload_doc_id(file.filename, doc_id)
    limit = int(settings.max_upload_mb * (1 << 20))
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"the file is larger than the server's upload limit of {settings.max_upload_mb:g} MB (KB_MAX_UPLOAD_MB)")
    report = ingest_bytes(
        name, data, kb, kind, wait=settings.write_wait, source_root=source_root, speaker_names=speaker_names_from_json(speaker_names)
    )
    if report.failed:
        raise UnreadableDocument(report.files[0].error or f"{name}: could not be read")  # the error names the file
    return report


@writes.delete("/{doc_id:doc_id}", response_model=Deleted, responses=error_responses(404, 409))
def delete_document(doc_id: str, kb: KnowledgeBase = Depends(get_kb), settings: Settings = Depends(get_settings)) -> Deleted:
    """Remove a document and all its passages from every index."""
    kb.delete(doc_id, wait=settings.write_wait)
    return Deleted(deleted=doc_id)
