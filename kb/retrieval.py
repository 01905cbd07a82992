"""Hybrid retrieval: dense (Chroma) and sparse (BM25) candidates, fused, then shaped into results.

Fusion is weighted reciprocal rank fusion: rank-based, so the two sides' score
scales never need calibrating against each other. Filters apply to both sides
before ranking. Adjacent passages of one transcript that both rank are merged
(a reader wants the exchange, not two halves of it), and without a doc filter
one document may fill at most about half of the results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from kb.models import SearchFilters
from kb.store import QueryHit

Mode = Literal["hybrid", "dense", "sparse"]


@dataclass(frozen=True)
class FusionConfig:
    """Tuned on QMSum val and SciFact train (benchmarks/README.md)."""

    rrf_k: int = 60
    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    candidates: int = 50  # per side, at least; more for large top_k
    merge_neighbours: bool = True


@dataclass
class Candidate:
    hit: QueryHit
    fused: float = 0.0
    dense_score: float | None = None
    sparse_score: float | None = None
    merged: list[QueryHit] = field(default_factory=list)

    @property
    def doc_id(self) -> str:
        return str(self.hit.metadata.get("doc_id", ""))

    @property
    def position(self) -> int:
        return int(self.hit.metadata.get("position", -1))


def where_clause(filters: SearchFilters | None) -> dict[str, Any] | None:
    """The filters as a Chroma `where` (AND of the ones that are set)."""
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.doc_id:
        clauses.append({"doc_id": filters.doc_id})
    if filters.kind:
        clauses.append({"kind": filters.kind})
    if filters.speaker:
        clauses.append({"speakers": {"$contains": filters.speaker}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def fuse(dense: list[QueryHit], sparse: list[tuple[str, float]], config: FusionConfig) -> dict[str, Candidate]:
    """Weighted RRF; the fused score is scaled so 1.0 means first on both sides."""
    best = (config.dense_weight + config.sparse_weight) / (config.rrf_k + 1)
    candidates: dict[str, Candidate] = {}
    for rank, hit in enumerate(dense, start=1):
        candidate = candidates.setdefault(hit.chunk_id, Candidate(hit))
        candidate.dense_score = hit.score
        candidate.fused += config.dense_weight / (config.rrf_k + rank) / best
    for rank, (chunk_id, score) in enumerate(sparse, start=1):
        candidate = candidates.setdefault(chunk_id, Candidate(QueryHit(chunk_id, "", {}, 0.0)))
        candidate.sparse_score = score
        candidate.fused += config.sparse_weight / (config.rrf_k + rank) / best
    return candidates


def shape_results(ranked: list[Candidate], top_k: int, doc_filter: bool, merge_neighbours: bool) -> list[Candidate]:
    """Merge adjacent transcript passages that both rank; cap one document's share."""
    per_doc_cap = top_k if doc_filter else max(2, math.ceil(top_k / 2))
    chosen: list[Candidate] = []
    per_doc: dict[str, int] = {}
    for candidate in ranked:
        if merge_neighbours and _merge_into(chosen, candidate):
            continue
        if per_doc.get(candidate.doc_id, 0) >= per_doc_cap:
            continue
        chosen.append(Candidate(candidate.hit, candidate.fused, candidate.dense_score, candidate.sparse_score))  # a copy: merging must not touch the input
        per_doc[candidate.doc_id] = per_doc.get(candidate.doc_id, 0) + 1
        if len(chosen) == top_k:
            break
    return chosen


def _merge_into(chosen: list[Candidate], candidate: Candidate) -> bool:
    if candidate.hit.metadata.get("kind") != "transcript":
        return False
    for result in chosen:
        if result.doc_id != candidate.doc_id or result.merged:
            continue  # merge pairs only, so a result stays a readable size
        if abs(result.position - candidate.position) == 1:
            result.merged.append(candidate.hit)
            return True
    return False
