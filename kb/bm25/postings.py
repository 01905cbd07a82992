"""BM25 over passages held as integer arrays: the postings engine behind the sparse side (kb/bm25/index.py).

Why not bm25s's index: it cannot add or remove documents, so every write
re-indexed the whole store (3 s at 77k passages, for every 512 passages
ingested) and kept every token as a Python string (~350 MB at 77k). Here each
passage is two small integer arrays (term ids, counts). New passages go to a
small *delta* scanned per query; removed ones are tombstoned; document
frequencies and lengths are kept exact, so scores are exactly BM25 (Lucene
idf, k1 1.5, b 0.75, as bm25s) whatever the layout. The delta is folded into
the main postings (term-sorted arrays) when it reaches a tenth of them, so
writes cost amortised O(new passages).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass

import numpy as np

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


class Rows:
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
        self._delta_key: tuple[int, int] | None = None
        self._delta = self._postings(0, 0)

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

    def settled(self) -> Rows:
        """Self, or a compacted copy once the delta or the tombstones have grown large.

        A copy, not an in-place change: a search holding the old rows keeps consistent positions.
        """
        delta = len(self.ids) - self.main_rows
        dead = len(self.ids) - self.live_rows
        if delta > max(MIN_DELTA, self.main_rows // 10) or dead > max(MIN_DELTA, len(self.ids) // 4):
            return self._compacted()
        return self

    def _compacted(self) -> Rows:
        keep = np.flatnonzero(np.frombuffer(self.alive, dtype=np.uint8))
        old = self
        fresh = Rows()
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
        fresh.index_fields()
        fresh._build_postings()
        return fresh

    def index_fields(self) -> None:
        """The filters' row lists (by document, kind, speaker), rebuilt from the per-row fields."""
        self.by_doc, self.by_kind, self.by_speaker = {}, {}, {}
        for index, (doc_id, kind, speakers) in enumerate(zip(self.doc_ids, self.kinds, self.speakers)):
            self.by_doc.setdefault(doc_id, []).append(index)
            self.by_kind.setdefault(kind, []).append(index)
            for name in speakers:
                self.by_speaker.setdefault(name, []).append(index)

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
        if self._delta_key != key:
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


def live_mask(rows: Rows, size: int, doc_id: str | None, kind: str | None, speakers: list[str]) -> np.ndarray:
    """Live rows passing the filters; a row passes the speaker filter when any of `speakers` (one person's labels) speaks in it."""
    mask = np.frombuffer(rows.alive, dtype=np.uint8)[:size].astype(bool)
    for wanted, index in (([doc_id] if doc_id else [], rows.by_doc), ([kind] if kind else [], rows.by_kind), (speakers, rows.by_speaker)):
        if wanted:
            chosen = np.zeros(size, dtype=bool)
            positions = np.asarray([row for value in wanted for row in index.get(value, [])], dtype=np.int64)
            chosen[positions[positions < size]] = True
            mask &= chosen
    return mask
