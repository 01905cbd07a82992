"""The one shape both retrieval sides share, so search orchestration does not care which it talks to.

txtai's scoring backends are the model: a small interface, one module per
backend. The dense side (kb/search/dense_side.py) asks Chroma for nearest vectors;
the sparse side (kb/bm25/index.py) is our BM25. Each prepares a query once
(embedding it; scoring every passage), returns its best candidates under the
filters, and scores candidates the other side found, so fusion compares every
candidate on both scales.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from kb.models import SearchFilters

Prepared = TypeVar("Prepared")


class RetrievalSide(Protocol[Prepared]):
    name: str

    def prepare(self, query: str) -> Prepared:
        """The work a query needs once on this side (its vector; its BM25 scores)."""
        ...

    def top(self, prepared: Prepared, n: int, filters: SearchFilters) -> list[tuple[str, float]]:
        """Up to `n` (chunk_id, score) pairs among live passages passing the filters, best first."""
        ...

    def scores_of(self, prepared: Prepared, chunk_ids: list[str]) -> dict[str, float]:
        """This side's scores for passages it did not return (those it cannot score are left out)."""
        ...
