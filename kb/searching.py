"""Search orchestration: both retrieval sides, fusion, smoothing, the learned order, then text for the results.

The dense side (Chroma) and the BM25 side each return ids and scores; fusion,
smoothing and the in-document learned order run on those alone (kb/retrieval.py,
kb/passage_model.py). Text is fetched last, a batch at a time, only for the
candidates that become results, skipping passages of replaced versions.
`KnowledgeBase.search` and `.ranked` delegate here with the fusion settings of
the moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from kb.contract import TOP_K
from kb.errors import InvalidInput
from kb.models import SearchFilters, SearchResponse
from kb.passage_model import load_model as load_passage_model
from kb.passage_model import rerank
from kb.read_cache import ReadCache
from kb.records import to_passage
from kb.retrieval import Candidate, FusionConfig, Mode, fuse, rescore, shape_results, smooth_transcripts, where_clause
from kb.sparse_index import SparseIndex, SparseScores
from kb.store import ChromaStore, DocumentRecord
from kb.write_protocol import is_live


class Searcher:
    """One store's search: the parts it reads, opened by the KnowledgeBase that owns them."""

    def __init__(self, store: ChromaStore, sparse: SparseIndex, embedder, reads: ReadCache, sync_sparse: Callable[..., None]) -> None:
        self.store, self.sparse, self.embedder, self.reads, self.sync_sparse = store, sparse, embedder, reads, sync_sparse

    def search(self, query: str, top_k: int, filters: SearchFilters | None, mode: Mode, config: FusionConfig) -> SearchResponse:
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

    def ranked(self, query: str, n: int, filters: SearchFilters, mode: Mode, config: FusionConfig) -> list[Candidate]:
        """Every candidate from both sides (up to `n` each), fused and smoothed, best first (within one
        document, the learned passage order); no text yet."""
        self.sync_sparse(fresh=False)  # BM25, and where every passage sits
        vector = self.embedder.embed([query])[0] if mode != "sparse" else None
        dense = self.store.nearest(vector, n, where_clause(filters)) if vector is not None else []
        scored = self.sparse.score(query) if mode != "dense" else None
        sparse = self.sparse.search(query, n, doc_id=filters.doc_id, kind=filters.kind, speaker=filters.speaker, scored=scored) if scored else []
        candidates = fuse(dense, sparse, config)
        if mode == "hybrid" and vector is not None and scored is not None:
            self._score_both_sides(candidates, vector, scored)
            rescore(candidates, config)
        self._locate(candidates)
        smooth_transcripts(candidates, config.smoothing)
        ranked = sorted(candidates.values(), key=lambda c: -c.fused)
        # The trees judge which stretch of one conversation answers (trained within one meeting); across
        # documents they cost precise lookups (corpus kb eval), so they order a search within one document.
        trees = load_passage_model() if mode == "hybrid" and config.learned_order and filters.doc_id else None
        return rerank(ranked, len(self.sparse.query_weights(query)), trees) if trees is not None else ranked

    def _score_both_sides(self, candidates: dict[str, Candidate], vector: Sequence[float], scored: SparseScores) -> None:
        """A candidate one side did not return gets its real score there (its cosine, its BM25), not 0."""
        for chunk_id, score in self.store.similarities([c.chunk_id for c in candidates.values() if c.dense_score is None], vector).items():
            candidates[chunk_id].dense_score = score
        for chunk_id, score in scored.of([c.chunk_id for c in candidates.values() if c.sparse_score is None]).items():
            candidates[chunk_id].sparse_score = score

    def _locate(self, candidates: dict[str, Candidate]) -> None:
        """Document, kind and position of every candidate, from the BM25 side's rows (no Chroma read).

        A passage written by another process within the last second is not there
        yet; its text is fetched now instead.
        """
        located = self.sparse.locate(list(candidates))
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
