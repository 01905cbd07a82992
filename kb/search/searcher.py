"""Search orchestration: both retrieval sides, fusion, smoothing, the learned order, then text for the results.

The dense side (Chroma, kb/search/dense_side.py) and the BM25 side (kb/bm25/index.py)
share one shape (kb/search/side.py) and each return ids and scores; fusion,
smoothing and the in-document learned order run on those alone (kb/search/fusion.py,
kb/search/learned_order.py). Text is fetched last, a batch at a time, only for the
candidates that become results, skipping passages of replaced versions.
`KnowledgeBase.search` and `.ranked` delegate here with the fusion settings of
the moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from kb.bm25.index import SparseIndex, SparseScores
from kb.contract import TOP_K, SearchMode
from kb.errors import InvalidInput
from kb.models import SearchFilters, SearchResponse
from kb.search.fusion import Candidate, FusionConfig, fuse, rescore, smooth_transcripts
from kb.search.learned_order import load_order_trees, rerank
from kb.search.results import shape_results, to_passage
from kb.search.side import RetrievalSide
from kb.store.chroma import ChromaStore, DocumentRecord
from kb.store.read_cache import ReadCache
from kb.store.write_protocol import is_live


class Searcher:
    """One store's search over the two retrieval sides, opened by the KnowledgeBase that owns them.

    `sparse` is called only when a search needs the BM25 side (hybrid or
    sparse mode): it returns that side brought up to the store's generation,
    so a dense-only search never loads or syncs it.
    """

    def __init__(self, store: ChromaStore, dense: RetrievalSide[Sequence[float]], sparse: Callable[[], SparseIndex], reads: ReadCache) -> None:
        self.store, self.dense, self.sparse, self.reads = store, dense, sparse, reads

    def search(self, query: str, top_k: int, filters: SearchFilters | None, mode: SearchMode, config: FusionConfig) -> SearchResponse:
        """Hybrid search over live passages, best first, with the contract's Passage fields."""
        query = query.strip()
        if not query:
            raise InvalidInput("query is empty: say what you are looking for")
        if not TOP_K.holds(top_k):
            raise InvalidInput(f"top_k must be between {TOP_K.low} and {TOP_K.high}")
        f = filters or SearchFilters()
        ranked = self.ranked(query, max(config.candidates, top_k * 4), f, mode, config)
        records: dict[str, DocumentRecord] = {}
        shaped = shape_results(self._live(ranked, records, batch=_text_batch(top_k)), top_k, bool(f.doc_id), config.merge_neighbours)
        results = [to_passage(c, rank, records[c.doc_id]) for rank, c in enumerate(shaped, start=1)]
        return SearchResponse(query=query, results=results)

    def ranked(self, query: str, n: int, filters: SearchFilters, mode: SearchMode, config: FusionConfig) -> list[Candidate]:
        """Every candidate from the mode's sides (up to `n` each), fused and smoothed, best first (within one
        document, the learned passage order); no text yet."""
        sparse = self.sparse() if mode != "dense" else None  # BM25, and where every passage sits
        vector = self.dense.prepare(query) if mode != "sparse" else None
        scored = sparse.prepare(query) if sparse is not None else None
        dense_top = self.dense.top(vector, n, filters) if vector is not None else []
        sparse_top = sparse.top(scored, n, filters) if sparse is not None and scored is not None else []
        candidates = fuse(dense_top, sparse_top, config)
        if vector is not None and sparse is not None and scored is not None:  # hybrid
            self._score_both_sides(candidates, vector, sparse, scored)
            rescore(candidates, config)
        self._locate(candidates, sparse)
        smooth_transcripts(candidates, config.smoothing)
        ranked = sorted(candidates.values(), key=lambda c: -c.fused)
        # The trees judge which stretch of one conversation answers (trained within one meeting); across
        # documents they cost precise lookups (corpus kb eval), so they order a search within one document.
        trees = load_order_trees() if mode == "hybrid" and config.learned_order and filters.doc_id else None
        if trees is None or sparse is None:
            return ranked
        return rerank(ranked, len(sparse.weights.query_weights(query)), trees)

    def _score_both_sides(self, candidates: dict[str, Candidate], vector: Sequence[float], sparse: SparseIndex, scored: SparseScores) -> None:
        """A candidate one side did not return gets its real score there (its cosine, its BM25), not 0."""
        for chunk_id, score in self.dense.scores_of(vector, [c.chunk_id for c in candidates.values() if c.dense_score is None]).items():
            candidates[chunk_id].dense_score = score
        for chunk_id, score in sparse.scores_of(scored, [c.chunk_id for c in candidates.values() if c.sparse_score is None]).items():
            candidates[chunk_id].sparse_score = score

    def _locate(self, candidates: dict[str, Candidate], sparse: SparseIndex | None) -> None:
        """Document, kind and position of every candidate, from the BM25 side's catalogue (no Chroma read).

        A passage written by another process within the last second is not there
        yet, and a dense-only search has no catalogue: their text is fetched now instead.
        """
        located = sparse.locate(list(candidates)) if sparse is not None else {}
        for chunk_id, where in located.items():
            candidate = candidates[chunk_id]
            candidate.doc_id, candidate.kind, candidate.position = where.doc_id, where.kind, where.position
        for hit in self.store.get_passages([chunk_id for chunk_id in candidates if chunk_id not in located]):
            candidate = candidates[hit.chunk_id]
            candidate.hit = hit
            candidate.doc_id, candidate.kind, candidate.position = (
                str(hit.metadata.get("doc_id", "")),
                str(hit.metadata.get("kind", "")),
                int(hit.metadata.get("position", -1)),
            )

    def _live(self, ranked: list[Candidate], records: dict[str, DocumentRecord], batch: int) -> Iterator[Candidate]:
        """Candidates in rank order with their text, skipping passages of a replaced version.

        Text is fetched a batch at a time, only as far down the ranking as the
        results reach (usually one batch); `records` collects their documents.
        """
        for start in range(0, len(ranked), batch):
            chunk = ranked[start : start + batch]
            hits = {hit.chunk_id: hit for hit in self.store.get_passages([c.chunk_id for c in chunk if c.hit is None])}
            records.update(self.reads.records(sorted({c.doc_id for c in chunk} - records.keys())))
            for candidate in chunk:
                candidate.hit = candidate.hit or hits.get(candidate.chunk_id)
                if candidate.hit is not None and is_live(candidate.hit, records):
                    yield candidate


def _text_batch(top_k: int) -> int:
    """How many candidates' texts to fetch at a time: twice top_k covers neighbours merged into one result and
    passages of replaced versions skipped, and a few more spare a second round trip when top_k is small."""
    return 2 * top_k + 4


if TYPE_CHECKING:  # mypy checks that both retrieval sides keep the shape they share
    from kb.search.dense_side import DenseSide

    _dense: type[RetrievalSide[Sequence[float]]] = DenseSide
    _sparse: type[RetrievalSide[SparseScores]] = SparseIndex
