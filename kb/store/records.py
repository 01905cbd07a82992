"""How stored things map to the contract's models, and back: one place for the metadata's shape.

A passage's Chroma metadata (`passage_metadata`) and a document's record
(`document_record`) are written here and read here (`document_info`,
`document_passage`; a search result's `Passage` in kb/search/results.py reads the
same fields), so the write path and the read path cannot disagree about a field.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from kb.models import DocumentInfo, DocumentPassage
from kb.store.chroma import DocumentRecord, QueryHit
from kb.store.drafts import DocumentWrite, PassageDraft
from kb.text.passage_lines import turns
from kb.text.timecodes import seconds_to_clock


def chunk_id(doc_id: str, content_hash: str, position: int, text: str) -> str:
    """Deterministic passage id: the document, its version, the position and the text."""
    text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hashlib.sha256(f"{doc_id}\x00{content_hash}\x00{position}\x00{text_hash}".encode()).hexdigest()[:32]


def document_record(write: DocumentWrite, ingested_at: str) -> DocumentRecord:
    keep = ("title", "kind", "author", "date", "url", "speakers", "people", "format", "source_root", "transcript_vtt")
    metadata = {
        **{k: write.metadata.get(k) for k in keep},
        "content_hash": write.content_hash,
        "passages": len(write.drafts),
        "ingested_at": ingested_at,
    }
    return DocumentRecord(write.doc_id, metadata)


def passage_metadata(write: DocumentWrite, position: int, draft: PassageDraft) -> dict[str, Any]:
    metadata = write.metadata  # title and url live on the document record only
    return {
        "doc_id": write.doc_id,
        "doc_hash": write.content_hash,
        "position": position,
        "kind": metadata.get("kind"),
        "speaker": draft.speaker,
        "speakers": draft.speakers,
        "start_seconds": draft.start_seconds,
        "end_seconds": draft.end_seconds,
        "page": draft.page,
        "section": draft.section,
        "line_starts": draft.line_starts,
        "cue_marks": draft.cue_marks,
    }


def document_passage(hit: QueryHit) -> DocumentPassage:
    meta = hit.metadata
    speakers = list(meta.get("speakers") or [])
    return DocumentPassage(
        position=int(meta.get("position", 0)),
        chunk_id=hit.chunk_id,
        text=hit.text,
        speaker=meta.get("speaker"),
        speakers=speakers,
        start=seconds_to_clock(meta.get("start_seconds")),
        end=seconds_to_clock(meta.get("end_seconds")),
        page=meta.get("page"),
        section=meta.get("section"),
        turns=turns(hit.text, speakers, meta.get("line_starts") or []) if meta.get("kind") == "transcript" else [],
    )


def document_info(record: DocumentRecord) -> DocumentInfo:
    meta = record.metadata
    return DocumentInfo(
        doc_id=record.doc_id,
        title=meta.get("title") or record.doc_id,
        kind=meta.get("kind", "essay"),
        passages=int(meta.get("passages", 0)),
        ingested_at=meta.get("ingested_at", ""),
        source=record.doc_id,
        author=meta.get("author"),
        date=meta.get("date"),
        url=meta.get("url"),
        speakers=list(meta.get("speakers") or []),
        content_hash=meta.get("content_hash"),
        source_root=meta.get("source_root"),
        transcript_url=f"/v1/documents/{quote(record.doc_id)}/transcript" if meta.get("transcript_vtt") else None,
    )
