"""The dense side of retrieval: the query's vector against the passages' vectors in Chroma (cosine)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kb.models import SearchFilters
from kb.store.chroma import ChromaStore


class DenseSide:
    """Nearest passages by meaning; filters become Chroma `where` clauses, applied before ranking."""

    name = "dense"

    def __init__(self, store: ChromaStore, embedder) -> None:
        self.store, self.embedder = store, embedder

    def prepare(self, query: str) -> Sequence[float]:
        return self.embedder.embed([query])[0]

    def top(self, vector: Sequence[float], n: int, filters: SearchFilters) -> list[tuple[str, float]]:
        return self.store.nearest(vector, n, where_clause(filters))

    def scores_of(self, vector: Sequence[float], chunk_ids: list[str]) -> dict[str, float]:
        return self.store.similarities(chunk_ids, vector)


def where_clause(filters: SearchFilters | None) -> dict[str, Any] | None:
    """The filters as a Chroma `where` (AND of the ones that are set)."""
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.doc_id:
        clauses.append({"doc_id": filters.doc_id})
    if filters.kind:
        clauses.append({"kind": filters.kind})
    if labels := filters.speaker_labels():
        said = [{"speakers": {"$contains": label}} for label in labels]
        clauses.append(said[0] if len(said) == 1 else {"$or": said})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
