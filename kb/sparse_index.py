"""The sparse (BM25) side of retrieval: English stop words, Snowball stemming, an index of our own.

Chroma's own BM25 is cloud-only, so this index is ours. It lives in memory and
on disk under KB_DATA_DIR/bm25/<collection>.pkl and knows the store
*generation* it reflects. Writes through this process update it directly; when
the store's generation differs (another process or machine wrote), it is
synced from Chroma by diffing passage ids, so no process serves a stale index.

Why not bm25s's index: it cannot add or remove documents, so every write
re-indexed the whole store (3 s at 77k passages, for every 512 passages
ingested) and kept every token as a Python string (~350 MB at 77k). Here each
passage is two small integer arrays (term ids, counts). New passages go to a
small *delta* scanned per query; removed ones are tombstoned; document
frequencies and lengths are kept exact, so scores are exactly BM25 (Lucene
idf, k1 1.5, b 0.75, as bm25s) whatever the layout. The delta is folded into
the main postings (term-sorted arrays) when it reaches a tenth of them, so
writes cost amortised O(new passages). bm25s still does the tokenizing.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import tempfile
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 3
K1, B = 1.5, 0.75
MIN_DELTA = 2048  # rows scanned row by row before they are folded into the postings


@dataclass
class SparseRow:
    """What BM25 needs of a passage: its tokens, the fields filters look at, and where it sits."""

    chunk_id: str
    tokens: list[str]
    doc_id: str
    kind: str
    speakers: tuple[str, ...] = ()
    position: int = -1  # within its document; with doc_id and kind, all ranking needs to know of a passage


@dataclass(frozen=True)
class Location:
    """Where a passage sits: enough to smooth and merge transcript neighbours before fetching any text."""

    doc_id: str
    kind: str
    position: int


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


class _Rows:
    """Passages as integer arrays, with tombstones, exact df and lengths, and term-sorted postings."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.df = np.zeros(0, dtype=np.int64)
        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self.doc_ids: list[str] = []
        self.kinds: list[str] = []
        self.speakers: list[tuple[str, ...]] = []
        self.places = array("i")  # per row: the passage's position within its document
        self.terms: list[np.ndarray] = []  # per row: unique term ids (int32)
        self.counts: list[np.ndarray] = []  # per row: their counts (int32)
        self.lengths = array("q")  # appended per row; read through zero-copy numpy views
        self.alive = bytearray()
        self.live_rows = 0
        self.live_length = 0
        # postings over rows [0, main_rows): for term t, rows post_rows[start[t]:start[t+1]] with counts post_counts[...]
        self.main_rows = 0
        self.post_start = np.zeros(1, dtype=np.int64)
        self.post_rows = np.zeros(0, dtype=np.int32)
        self.post_counts = np.zeros(0, dtype=np.int32)
        self.by_doc: dict[str, list[int]] = {}
        self.by_kind: dict[str, list[int]] = {}
        self.by_speaker: dict[str, list[int]] = {}

    # --- changes ---------------------------------------------------------------------
    def add(self, row: SparseRow) -> None:
        if row.chunk_id in self.position:
            self.remove(row.chunk_id)
        tally = Counter(self._term_id(token) for token in row.tokens)
        terms = np.fromiter(tally.keys(), dtype=np.int32, count=len(tally))
        counts = np.fromiter(tally.values(), dtype=np.int32, count=len(tally))
        index = len(self.ids)
        self.ids.append(row.chunk_id)
        self.position[row.chunk_id] = index
        self.doc_ids.append(row.doc_id)
        self.kinds.append(row.kind)
        self.speakers.append(tuple(row.speakers))
        self.places.append(row.position)
        self.terms.append(terms)
        self.counts.append(counts)
        self.lengths.append(len(row.tokens))
        self.alive.append(1)
        np.add.at(self.df, terms, 1)
        self.live_rows += 1
        self.live_length += len(row.tokens)
        self.by_doc.setdefault(row.doc_id, []).append(index)
        self.by_kind.setdefault(row.kind, []).append(index)
        for name in row.speakers:
            self.by_speaker.setdefault(name, []).append(index)

    def remove(self, chunk_id: str) -> None:
        index = self.position.pop(chunk_id, None)
        if index is None or not self.alive[index]:
            return
        self.alive[index] = 0
        np.subtract.at(self.df, self.terms[index], 1)
        self.live_rows -= 1
        self.live_length -= self.lengths[index]

    def settled(self) -> _Rows:
        """Self, or a compacted copy once the delta or the tombstones have grown large.

        A copy, not an in-place change: a search holding the old rows keeps consistent positions.
        """
        delta = len(self.ids) - self.main_rows
        dead = len(self.ids) - self.live_rows
        if delta > max(MIN_DELTA, self.main_rows // 10) or dead > max(MIN_DELTA, len(self.ids) // 4):
            return self._compacted()
        return self

    def _compacted(self) -> _Rows:
        keep = np.flatnonzero(np.frombuffer(self.alive, dtype=np.uint8))
        old = self
        fresh = _Rows()
        fresh.vocab, fresh.df = dict(old.vocab), old.df.copy()
        fresh.ids = [old.ids[i] for i in keep]
        fresh.position = {chunk_id: i for i, chunk_id in enumerate(fresh.ids)}
        fresh.doc_ids = [old.doc_ids[i] for i in keep]
        fresh.kinds = [old.kinds[i] for i in keep]
        fresh.speakers = [old.speakers[i] for i in keep]
        fresh.places = array("i", np.frombuffer(old.places, dtype=np.int32)[keep].tobytes()) if len(keep) else array("i")
        fresh.terms = [old.terms[i] for i in keep]
        fresh.counts = [old.counts[i] for i in keep]
        fresh.lengths = array("q", np.frombuffer(old.lengths, dtype=np.int64)[keep].tobytes()) if len(keep) else array("q")
        fresh.alive = bytearray(b"\x01" * len(keep))
        fresh.live_rows, fresh.live_length = old.live_rows, old.live_length
        for index, (doc_id, kind, speakers) in enumerate(zip(fresh.doc_ids, fresh.kinds, fresh.speakers)):
            fresh.by_doc.setdefault(doc_id, []).append(index)
            fresh.by_kind.setdefault(kind, []).append(index)
            for name in speakers:
                fresh.by_speaker.setdefault(name, []).append(index)
        fresh._build_postings()
        return fresh

    def _build_postings(self) -> None:
        self.main_rows = len(self.ids)
        self.post_start, self.post_rows, self.post_counts = self._postings(0, self.main_rows)

    def _postings(self, first: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Term-sorted (start offsets, rows, counts) over rows [first, end)."""
        if end <= first:
            return np.zeros(1, dtype=np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32)
        terms = np.concatenate(self.terms[first:end])
        counts = np.concatenate(self.counts[first:end])
        rows = np.repeat(np.arange(first, end, dtype=np.int32), [len(t) for t in self.terms[first:end]])
        order = np.argsort(terms, kind="stable")
        start = np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=len(self.vocab)))]).astype(np.int64)
        return start, rows[order], counts[order]

    def _delta_postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Postings of the rows added since the last fold, rebuilt only after writes."""
        key = (self.main_rows, len(self.ids))
        if getattr(self, "_delta_key", None) != key:
            self._delta = self._postings(self.main_rows, len(self.ids))
            self._delta_key = key
        return self._delta

    def _term_id(self, token: str) -> int:
        term = self.vocab.get(token)
        if term is None:
            term = self.vocab[token] = len(self.vocab)
            if term >= len(self.df):
                self.df = np.concatenate([self.df, np.zeros(max(1024, len(self.df)), dtype=np.int64)])
        return term

    # --- scoring -----------------------------------------------------------------------
    def idf(self, term: int) -> float:
        df = int(self.df[term])
        return math.log(1 + (self.live_rows - df + 0.5) / (df + 0.5))

    def scores(self, tokens: list[str]) -> np.ndarray | None:
        """BM25 of every row (dead rows included, the caller masks them); None when no token is known."""
        wanted = Counter(self.vocab[t] for t in tokens if t in self.vocab)
        if not wanted or self.live_rows == 0:
            return None
        average = self.live_length / self.live_rows
        norm = K1 * (1 - B + B * np.frombuffer(self.lengths, dtype=np.int64) / average)
        scores = np.zeros(len(self.ids), dtype=np.float64)
        for term, times in wanted.items():
            weight = times * self.idf(term)
            for start, rows, counts in ((self.post_start, self.post_rows, self.post_counts), self._delta_postings()):
                if term + 1 < len(start):
                    chosen, tf = rows[start[term] : start[term + 1]], counts[start[term] : start[term + 1]]
                    scores[chosen] += weight * tf * (K1 + 1) / (tf + norm[chosen])
        return scores


@dataclass
class SparseScores:
    """One query's BM25 over the rows as they were when scored (later writes do not shift them)."""

    rows: _Rows
    scores: np.ndarray | None

    def of(self, chunk_ids: list[str]) -> dict[str, float]:
        if self.scores is None:
            return {}
        found = ((cid, self.rows.position.get(cid)) for cid in chunk_ids)
        return {cid: float(self.scores[i]) for cid, i in found if i is not None and i < len(self.scores)}


def _mask(rows: _Rows, size: int, doc_id: str | None, kind: str | None, speaker: str | None) -> np.ndarray:
    mask = np.frombuffer(rows.alive, dtype=np.uint8)[:size].astype(bool)
    for wanted, index in ((doc_id, rows.by_doc), (kind, rows.by_kind), (speaker, rows.by_speaker)):
        if wanted:
            chosen = np.zeros(size, dtype=bool)
            positions = np.asarray(index.get(wanted, []), dtype=np.int64)
            chosen[positions[positions < size]] = True
            mask &= chosen
    return mask


class SparseIndex:
    """BM25 over the live collection, with doc_id / kind / speaker filters applied before ranking."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._generation = ""
        self._rows = _Rows()
        self._deferred = 0
        self._unsaved = False
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

    def known_ids(self) -> set[str]:
        return set(self._rows.position)

    def locate(self, chunk_ids: list[str]) -> dict[str, Location]:
        """Document, kind and position of the passages this index holds (the others are left out)."""
        rows = self._rows
        found = ((chunk_id, rows.position.get(chunk_id)) for chunk_id in chunk_ids)
        return {chunk_id: Location(rows.doc_ids[i], rows.kinds[i], rows.places[i]) for chunk_id, i in found if i is not None}

    # --- term weights, for scoring answer sentences ------------------------------------
    def query_weights(self, query: str) -> dict[str, float]:
        """The query's stemmed terms with their idf (unknown terms weigh as the rarest)."""
        return self.term_weights(tokenize([query])[0])

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        """Stemmed terms (as `terms_of` gives them) with their idf (unknown terms weigh as the rarest)."""
        rows = self._rows
        top = math.log(1 + (rows.live_rows + 0.5) / 0.5) if rows.live_rows else 1.0
        return {term: rows.idf(rows.vocab[term]) if term in rows.vocab and rows.df[rows.vocab[term]] > 0 else top for term in dict.fromkeys(terms)}

    def terms_of(self, texts: list[str]) -> list[list[str]]:
        return tokenize(texts) if texts else []

    # --- searching ----------------------------------------------------------------
    def score(self, query: str) -> SparseScores:
        """BM25 of every passage for a query, computed once and read twice (ranking, then fusion)."""
        with self._lock:
            rows = self._rows
            return SparseScores(rows, rows.scores(tokenize([query])[0]))

    def search(
        self, query: str, k: int, doc_id: str | None = None, kind: str | None = None, speaker: str | None = None, scored: SparseScores | None = None
    ) -> list[tuple[str, float]]:
        """Best `k` (chunk_id, BM25 score) pairs with a positive score among live rows passing the filters."""
        scored = scored or self.score(query)
        rows, scores = scored.rows, scored.scores
        if scores is None:
            return []
        scores = np.where(_mask(rows, len(scores), doc_id, kind, speaker), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        ranked = sorted((i for i in top if scores[i] > 0), key=lambda i: -scores[i])
        return [(rows.ids[i], float(scores[i])) for i in ranked]

    # --- on disk --------------------------------------------------------------------
    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".bm25-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump({"version": FORMAT_VERSION, "generation": self._generation, "rows": self._rows}, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)  # readers see the old file or the new one

    def _load(self) -> None:
        try:
            with self.path.open("rb") as handle:
                saved = pickle.load(handle)  # our own file under KB_DATA_DIR
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ModuleNotFoundError):
            return
        if not isinstance(saved, dict) or saved.get("version") != FORMAT_VERSION:
            return  # an older layout: the caller resyncs from Chroma
        self._generation, self._rows = saved["generation"], saved["rows"]
