"""The sparse (BM25) side of retrieval: keyword scores with filters, kept in step with the store.

Chroma's own BM25 is cloud-only, so this side is ours: the postings engine is
kb/bm25/postings.py, the file kb/bm25/index_file.py, the tokenizer kb/bm25/tokens.py. The
index lives in memory and under KB_DATA_DIR/bm25/<collection>.npz and knows
the store *generation* it reflects. Writes through this process update it
directly; when the store's generation differs (another process or machine
wrote), kb/bm25/store_sync.py syncs it from Chroma by diffing passage ids, so no
process serves a stale index.

Its rows also form a catalogue of where each passage sits (document, kind,
position), which ranking reads instead of asking Chroma.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.bm25 import index_file as bm25_file
from kb.bm25.postings import Rows, SparseRow, live_mask
from kb.bm25.term_weights import TermWeights
from kb.bm25.tokens import tokenize
from kb.models import SearchFilters

__all__ = ["Location", "SparseIndex", "SparseRow", "SparseScores"]


@dataclass(frozen=True)
class Location:
    """Where a passage sits: enough to smooth and merge transcript neighbours before fetching any text."""

    doc_id: str
    kind: str
    position: int


@dataclass
class SparseScores:
    """One query's BM25 over the rows as they were when scored (later writes do not shift them)."""

    rows: Rows
    scores: np.ndarray | None

    def of(self, chunk_ids: list[str]) -> dict[str, float]:
        if self.scores is None:
            return {}
        found = ((cid, self.rows.position.get(cid)) for cid in chunk_ids)
        return {cid: float(self.scores[i]) for cid, i in found if i is not None and i < len(self.scores)}


class SparseIndex:
    """BM25 over the live collection, with doc_id / kind / speaker filters applied before ranking.

    One of the two retrieval sides (kb/search/side.py): `prepare` scores
    every passage once, `top` ranks them under filters, `scores_of` reads the
    same scores for candidates the dense side found.
    """

    name = "sparse"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._generation = ""
        self._rows = Rows()
        self._deferred = 0
        self._unsaved = False
        self.weights = TermWeights(lambda: self._rows)  # idf for answers, from the same document frequencies
        self._load()

    @property
    def generation(self) -> str:
        return self._generation

    # --- keeping it current -------------------------------------------------------
    def apply(self, added: list[SparseRow], removed: set[str], generation: str) -> None:
        """Add and remove passages, then mark the index as reflecting `generation`."""
        with self._lock:
            for chunk_id in removed:
                self._rows.remove(chunk_id)
            for row in added:
                self._rows.add(row)
            self._rows = self._rows.settled()
            self._generation = generation
            if self._deferred:
                self._unsaved = True
            else:
                self._save()

    @contextlib.contextmanager
    def saving_once(self) -> Iterator[None]:
        """Write the file once at the end of a block of many applies (a long ingest), not after each.

        Safe if the process dies inside: the file keeps an older generation, so
        the next reader resyncs it from Chroma.
        """
        with self._lock:
            self._deferred += 1
        try:
            yield
        finally:
            with self._lock:
                self._deferred -= 1
                if not self._deferred and self._unsaved:
                    self._save()
                    self._unsaved = False

    def reload_if_newer(self, generation: str) -> bool:
        """Another process of this machine may have saved that generation already."""
        with self._lock:
            if self._generation == generation:
                return True
            self._load()
            return self._generation == generation

    # --- the catalogue: which passages, and where they sit ----------------------------
    def known_ids(self) -> set[str]:
        return set(self._rows.position)

    def locate(self, chunk_ids: list[str]) -> dict[str, Location]:
        """Document, kind and position of the passages this index holds (the others are left out)."""
        rows = self._rows
        found = ((chunk_id, rows.position.get(chunk_id)) for chunk_id in chunk_ids)
        return {chunk_id: Location(rows.doc_ids[i], rows.kinds[i], rows.places[i]) for chunk_id, i in found if i is not None}

    def speaker_rows(self) -> dict[str, list[tuple[str, str, str]]]:
        """label -> (chunk_id, doc_id, kind) of each live passage the label speaks in: who speaks where, without reading Chroma."""
        with self._lock:
            rows = self._rows
            found: dict[str, list[tuple[str, str, str]]] = {}
            for label, indices in rows.by_speaker.items():
                live = [(rows.ids[i], rows.doc_ids[i], rows.kinds[i]) for i in indices if rows.alive[i]]
                if live:
                    found[label] = live
            return found

    # --- searching: the retrieval side ------------------------------------------------
    def prepare(self, query: str) -> SparseScores:
        """BM25 of every passage for a query, computed once and read twice (ranking, then fusion)."""
        with self._lock:
            rows = self._rows
            return SparseScores(rows, rows.scores(tokenize([query])[0]))

    def top(self, scored: SparseScores, n: int, filters: SearchFilters) -> list[tuple[str, float]]:
        """Best `n` (chunk_id, BM25 score) pairs with a positive score among live rows passing the filters."""
        rows, scores = scored.rows, scored.scores
        if scores is None:
            return []
        scores = np.where(live_mask(rows, len(scores), filters.doc_id, filters.kind, filters.speaker_labels()), scores, 0.0)
        n = min(n, len(scores))
        best = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        ranked = sorted((i for i in best if scores[i] > 0), key=lambda i: -scores[i])
        return [(rows.ids[i], float(scores[i])) for i in ranked]

    def scores_of(self, scored: SparseScores, chunk_ids: list[str]) -> dict[str, float]:
        """The BM25 scores of passages found by the other side (those not held here are left out)."""
        return scored.of(chunk_ids)

    # --- on disk --------------------------------------------------------------------
    def _save(self) -> None:
        bm25_file.save(self.path, self._generation, self._rows)

    def _load(self) -> None:
        loaded = bm25_file.load(self.path)
        if loaded is not None:  # else the caller resyncs from Chroma
            self._generation, self._rows = loaded
