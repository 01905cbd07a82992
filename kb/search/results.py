"""Results: the fused order shaped into what a reader is shown, and each result as the contract's `Passage`.

Adjacent passages of one transcript that both rank are merged (a reader wants
the exchange, not two halves of it), and without a doc filter one document may
fill at most about half of the results.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from kb.models import Passage
from kb.search.fusion import Candidate
from kb.store.chroma import DocumentRecord, QueryHit
from kb.text.timecodes import seconds_to_clock


def shape_results(ranked: Iterable[Candidate], top_k: int, doc_filter: bool, merge_neighbours: bool) -> list[Candidate]:
    """Merge adjacent transcript passages that both rank; cap one document's share.

    `ranked` is read only as far as needed, so the caller can fetch text lazily.
    """
    per_doc_cap = top_k if doc_filter else max(2, math.ceil(top_k / 2))
    chosen: list[Candidate] = []
    per_doc: dict[str, int] = {}
    for candidate in ranked:
        if merge_neighbours and _merge_into(chosen, candidate):
            continue
        if per_doc.get(candidate.doc_id, 0) >= per_doc_cap:
            continue
        chosen.append(replace(candidate, merged=[]))  # a copy: merging must not touch the input
        per_doc[candidate.doc_id] = per_doc.get(candidate.doc_id, 0) + 1
        if len(chosen) == top_k:
            break
    return chosen


def _merge_into(chosen: list[Candidate], candidate: Candidate) -> bool:
    if candidate.kind != "transcript" or candidate.hit is None:
        return False
    for result in chosen:
        if result.doc_id != candidate.doc_id or result.merged:
            continue  # merge pairs only, so a result stays a readable size
        if abs(result.position - candidate.position) == 1:
            result.merged.append(candidate.hit)
            return True
    return False


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
