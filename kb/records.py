"""How stored things map to the contract's models, and back: one place for the metadata's shape.

A passage's Chroma metadata (`passage_metadata`) and a document's record
(`document_record`) are written here and read here (`to_passage`,
`document_info`, `document_passage`), so the write path and the read path
cannot disagree about a field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from kb.bm25_postings import SparseRow
from kb.models import DocumentInfo, DocumentPassage, Passage
from kb.passage_draft import PassageDraft
from kb.passage_lines import turns
from kb.retrieval import Candidate
from kb.store import DocumentRecord, QueryHit
from kb.timecodes import seconds_to_clock
from kb.tokens import tokenize


@dataclass
class DocumentWrite:
    """One document to store: its id, the hash of its source, its metadata and passages."""

    doc_id: str
    content_hash: str
    metadata: dict[str, Any]
    drafts: list[PassageDraft] = field(default_factory=list)


def chunk_id(doc_id: str, content_hash: str, position: int, text: str) -> str:
    """Deterministic passage id: the document, its version, the position and the text."""
    text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hashlib.sha256(f"{doc_id}\x00{content_hash}\x00{position}\x00{text_hash}".encode()).hexdigest()[:32]


def document_record(write: DocumentWrite, ingested_at: str) -> DocumentRecord:
    keep = ("title", "kind", "author", "date", "url", "speakers", "format", "source_root")
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


def to_passage(candidate: Candidate, rank: int, record: DocumentRecord) -> Passage:
    assert candidate.hit is not None  # _live fetched it
    hits = sorted([candidate.hit, *candidate.merged], key=lambda h: int(h.metadata.get("position", 0)))
    meta = candidate.hit.metadata
    starts = [h.metadata["start_seconds"] for h in hits if h.metadata.get("start_seconds") is not None]
    ends = [h.metadata["end_seconds"] for h in hits if h.metadata.get("end_seconds") is not None]
    speakers = list(dict.fromkeys(name for h in hits for name in (h.metadata.get("speakers") or [])))
    return Passage(
        n=rank,
        text="\n".join(h.text for h in hits),
        score=round(min(candidate.fused, 1.0), 4),
        doc_id=meta["doc_id"],
        title=record.metadata.get("title") or meta["doc_id"],
        kind=meta.get("kind", "essay"),
        source=meta["doc_id"],
        speaker=hits[0].metadata.get("speaker") if len(hits) > 1 else meta.get("speaker"),
        speakers=speakers,
        start=seconds_to_clock(min(starts)) if starts else None,
        end=seconds_to_clock(max(ends)) if ends else None,
        page=meta.get("page"),
        section=meta.get("section"),
        chunk_id=candidate.chunk_id,
        url=record.metadata.get("url"),
        dense_score=None if candidate.dense_score is None else round(candidate.dense_score, 4),
        chunk_ids=[h.chunk_id for h in hits],
        line_starts=[t for h in hits for t in (h.metadata.get("line_starts") or [])],
        cue_marks=merged_marks(hits),
    )


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


def merged_marks(hits: list[QueryHit]) -> list[float]:
    """Cue marks of neighbouring passages shown as one: line numbers move down past the earlier passages' lines."""
    merged: list[float] = []
    lines_before = 0
    for hit in hits:
        marks = hit.metadata.get("cue_marks") or []
        for i in range(0, len(marks) - 2, 3):
            merged += [marks[i] + lines_before, marks[i + 1], marks[i + 2]]
        lines_before += hit.text.count("\n") + 1
    return merged


def sparse_rows(rows: list[tuple[str, str, dict]]) -> list[SparseRow]:
    tokens = tokenize([text for _, text, _ in rows]) if rows else []
    return [
        SparseRow(
            chunk_id, words, str(meta.get("doc_id", "")), str(meta.get("kind", "")), tuple(meta.get("speakers") or ()), int(meta.get("position", -1))
        )
        for (chunk_id, _, meta), words in zip(rows, tokens)
    ]


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
    )
