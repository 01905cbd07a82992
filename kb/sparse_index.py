"""The sparse (BM25) side of retrieval: bm25s with English stop words and Snowball stemming.

Chroma's own BM25 is cloud-only, so this index is ours. It lives in memory and
on disk under KB_DATA_DIR/bm25/<collection>.pkl and knows the store
*generation* it reflects. Writes through this process update it directly (new
passages are tokenized once; the bm25s matrix is rebuilt from cached tokens).
When the store's generation differs (another process or machine wrote), it is
synced from Chroma by diffing passage ids, so no process ever serves a stale
or half-built index.
"""

from __future__ import annotations

import math
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1


@dataclass
class SparseRow:
    """What BM25 needs of a passage: its tokens and the fields filters look at."""

    chunk_id: str
    tokens: list[str]
    doc_id: str
    kind: str
    speakers: tuple[str, ...] = ()


@dataclass
class _State:
    generation: str = ""
    rows: dict[str, SparseRow] = field(default_factory=dict)


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-case words of 2+ characters, English stop words out, Snowball-stemmed."""
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(Stemmer), return_ids=False, show_progress=False)


_STEMMERS: dict[int, Any] = {}


def _stemmer(module):
    key = threading.get_ident()
    if key not in _STEMMERS:  # Stemmer objects are not thread-safe: one per thread
        _STEMMERS[key] = module.Stemmer("english")
    return _STEMMERS[key]


class SparseIndex:
    """BM25 over the live collection, with doc_id / kind / speaker filters applied before ranking."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._state = _State()
        self._bm25 = None
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._doc_ids = np.array([], dtype=object)
        self._kinds = np.array([], dtype=object)
        self._by_speaker: dict[str, np.ndarray] = {}
        self._idf: dict[str, float] = {}
        self._load()

    @property
    def generation(self) -> str:
        return self._state.generation

    # --- keeping it current -------------------------------------------------------
    def apply(self, added: list[SparseRow], removed: set[str], generation: str) -> None:
        """Add and remove passages, then mark the index as reflecting `generation`."""
        with self._lock:
            for chunk_id in removed:
                self._state.rows.pop(chunk_id, None)
            for row in added:
                self._state.rows[row.chunk_id] = row
            self._state.generation = generation
            self._rebuild()
            self._save()

    def reload_if_newer(self, generation: str) -> bool:
        """Another process of this machine may have saved that generation already."""
        with self._lock:
            if self._state.generation == generation:
                return True
            self._load()
            return self._state.generation == generation

    def known_ids(self) -> set[str]:
        return set(self._state.rows)

    # --- term weights, for scoring answer sentences ------------------------------------
    def query_weights(self, query: str) -> dict[str, float]:
        """The query's stemmed terms with their idf (unknown terms weigh as the rarest)."""
        top = max(self._idf.values(), default=1.0)
        return {term: self._idf.get(term, top) for term in dict.fromkeys(tokenize([query])[0])}

    def terms(self, text: str) -> list[str]:
        return tokenize([text])[0]

    # --- searching ----------------------------------------------------------------
    def search(self, query: str, k: int, doc_id: str | None = None, kind: str | None = None, speaker: str | None = None) -> list[tuple[str, float]]:
        """Best `k` (chunk_id, BM25 score) pairs with a positive score among rows passing the filters."""
        with self._lock:
            if self._bm25 is None or not self._ids:
                return []
            tokens = tokenize([query])[0]
            known = [t for t in tokens if t in self._bm25.vocab_dict]
            if not known:
                return []
            scores = self._bm25.get_scores(known)
            mask = self._mask(doc_id, kind, speaker)
            if mask is not None:
                scores = np.where(mask, scores, 0.0)
            top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
            ranked = sorted((i for i in top if scores[i] > 0), key=lambda i: -scores[i])
            return [(self._ids[i], float(scores[i])) for i in ranked]

    def scores_of(self, query: str, chunk_ids: list[str]) -> dict[str, float]:
        """BM25 scores of given passages (those the dense side found), so fusion sees both sides of each."""
        with self._lock:
            if self._bm25 is None or not chunk_ids:
                return {}
            known = [t for t in tokenize([query])[0] if t in self._bm25.vocab_dict]
            if not known:
                return {}
            scores = self._bm25.get_scores(known)
            return {cid: float(scores[self._position[cid]]) for cid in chunk_ids if cid in self._position}

    def _mask(self, doc_id: str | None, kind: str | None, speaker: str | None) -> np.ndarray | None:
        mask = None
        if doc_id:
            mask = self._doc_ids == doc_id
        if kind:
            mask = (self._kinds == kind) if mask is None else mask & (self._kinds == kind)
        if speaker:
            chosen = np.zeros(len(self._ids), dtype=bool)
            chosen[self._by_speaker.get(speaker, np.array([], dtype=int))] = True
            mask = chosen if mask is None else mask & chosen
        return mask

    # --- internals ----------------------------------------------------------------
    def _rebuild(self) -> None:
        import bm25s

        rows = list(self._state.rows.values())
        self._ids = [r.chunk_id for r in rows]
        self._position = {chunk_id: index for index, chunk_id in enumerate(self._ids)}
        self._doc_ids = np.array([r.doc_id for r in rows], dtype=object)
        self._kinds = np.array([r.kind for r in rows], dtype=object)
        by_speaker: dict[str, list[int]] = {}
        for index, row in enumerate(rows):
            for name in row.speakers:
                by_speaker.setdefault(name, []).append(index)
        self._by_speaker = {name: np.array(indices, dtype=int) for name, indices in by_speaker.items()}
        frequency: dict[str, int] = {}
        for row in rows:
            for term in set(row.tokens):
                frequency[term] = frequency.get(term, 0) + 1
        self._idf = {t: math.log(1 + (len(rows) - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
        if not rows:
            self._bm25 = None
            return
        bm25 = bm25s.BM25()
        # An empty token list would break the vocabulary; a placeholder keeps positions aligned.
        bm25.index([r.tokens or ["\x00empty"] for r in rows], show_progress=False)
        self._bm25 = bm25

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".bm25-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump({"version": FORMAT_VERSION, "generation": self._state.generation, "rows": list(self._state.rows.values())}, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)  # readers see the old file or the new one

    def _load(self) -> None:
        try:
            with self.path.open("rb") as handle:
                saved = pickle.load(handle)  # our own file under KB_DATA_DIR
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return
        if not isinstance(saved, dict) or saved.get("version") != FORMAT_VERSION:
            return
        self._state = _State(saved["generation"], {row.chunk_id: row for row in saved["rows"]})
        self._rebuild()
