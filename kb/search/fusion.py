"""Fusion: dense (Chroma) and sparse (BM25) candidates combined into one score, then smoothed along transcripts.

Relative-score fusion by default (each side normalised by its best score, then
a weighted sum), with reciprocal rank fusion as an option; both are compared in
benchmarks/README.md. Filters apply to both sides before ranking (each side's
own business); shaping the fused order into results is kb/search/results.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kb.store.chroma import QueryHit


@dataclass(frozen=True)
class FusionConfig:
    """How the two sides combine; tuned on QMSum val and SciFact train (benchmarks/README.md).

    `relative` (default): each side's scores divided by that side's best, then
    `dense_share` * dense + (1 - dense_share) * BM25; a side that missed a
    passage gives it 0. `rrf`: weighted reciprocal rank fusion with `rrf_k`.
    """

    method: Literal["relative", "rrf"] = "relative"
    dense_share: float = 0.7
    rrf_k: int = 60
    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    candidates: int = 100  # per side, at least; more for large top_k
    merge_neighbours: bool = True
    smoothing: float = 2.0  # transcripts: weight of the neighbours' mean in a blend with the own score (scores only rise)
    learned_order: bool = True  # hybrid search within one document: the shipped passage model re-ranks the top (kb/search/learned_order.py)


@dataclass
class Candidate:
    """A passage in the running: its scores, where it sits, and (once it may be shown) its text."""

    chunk_id: str
    fused: float = 0.0
    dense_score: float | None = None
    sparse_score: float | None = None
    doc_id: str = ""
    kind: str = ""
    position: int = -1
    hit: QueryHit | None = None  # text and metadata, fetched only for candidates near the top
    merged: list[QueryHit] = field(default_factory=list)


def fuse(dense: list[tuple[str, float]], sparse: list[tuple[str, float]], config: FusionConfig) -> dict[str, Candidate]:
    """Candidates with a fused score in [0, 1]; 1.0 means best on both sides."""
    if config.method == "rrf":
        return _rrf(dense, sparse, config)
    candidates: dict[str, Candidate] = {}
    top_dense = max((score for _, score in dense), default=0.0) or 1.0
    top_sparse = max((score for _, score in sparse), default=0.0) or 1.0
    dense_share = config.dense_share if dense and sparse else (1.0 if dense else 0.0)
    for chunk_id, score in dense:
        candidate = candidates.setdefault(chunk_id, Candidate(chunk_id))
        candidate.dense_score = score
        candidate.fused += dense_share * max(score, 0.0) / top_dense
    for chunk_id, score in sparse:
        candidate = candidates.setdefault(chunk_id, Candidate(chunk_id))
        candidate.sparse_score = score
        candidate.fused += (1 - dense_share) * score / top_sparse
    return candidates


def rescore(candidates: dict[str, Candidate], config: FusionConfig) -> None:
    """Relative fusion again, once both sides' scores are known for every candidate.

    A passage one side did not return is not worth 0 on that side: in a store of
    near-identical passages the dense top 100 can miss the one exact keyword
    match. Its real score on the missing side (filled in by the caller) goes in.
    """
    if config.method != "relative":
        return
    top_dense = max((c.dense_score or 0.0 for c in candidates.values()), default=0.0) or 1.0
    top_sparse = max((c.sparse_score or 0.0 for c in candidates.values()), default=0.0) or 1.0
    for c in candidates.values():
        c.fused = config.dense_share * max(c.dense_score or 0.0, 0.0) / top_dense + (1 - config.dense_share) * (c.sparse_score or 0.0) / top_sparse


def _rrf(dense: list[tuple[str, float]], sparse: list[tuple[str, float]], config: FusionConfig) -> dict[str, Candidate]:
    best = (config.dense_weight + config.sparse_weight) / (config.rrf_k + 1)
    candidates: dict[str, Candidate] = {}
    for rank, (chunk_id, score) in enumerate(dense, start=1):
        candidate = candidates.setdefault(chunk_id, Candidate(chunk_id))
        candidate.dense_score = score
        candidate.fused += config.dense_weight / (config.rrf_k + rank) / best
    for rank, (chunk_id, score) in enumerate(sparse, start=1):
        candidate = candidates.setdefault(chunk_id, Candidate(chunk_id))
        candidate.sparse_score = score
        candidate.fused += config.sparse_weight / (config.rrf_k + rank) / best
    return candidates


def smooth_transcripts(candidates: dict[str, Candidate], share: float) -> None:
    """Relevance in a conversation runs in stretches: lift passages whose neighbours match better.

    A transcript passage's score becomes the larger of its own and the blend
    (own + `share` x mean of the passages just before and after) / (1 + `share`),
    a neighbour that did not rank counting 0. Scores only ever rise, so
    transcripts are never pushed below essays by their neighbours.
    """
    if share <= 0:
        return
    by_position = {(c.doc_id, c.position): c.fused for c in candidates.values() if c.kind == "transcript"}
    for candidate in candidates.values():
        key = (candidate.doc_id, candidate.position)
        if key in by_position:
            around = (by_position.get((key[0], key[1] - 1), 0.0) + by_position.get((key[0], key[1] + 1), 0.0)) / 2
            candidate.fused = max(candidate.fused, (candidate.fused + share * around) / (1 + share))
