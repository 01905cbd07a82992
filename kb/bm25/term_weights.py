"""How rare a word is in this store (BM25's idf), for weighing answer sentences by the question's rare words.

It reads the document frequencies the BM25 side keeps, so answers and search
agree on what a rare word is; it holds no index of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from kb.bm25.postings import Rows
from kb.bm25.tokens import tokenize


class TermWeights:
    """idf of stemmed terms over the live passages, as of the rows `current()` returns."""

    def __init__(self, current: Callable[[], Rows]) -> None:
        self.current = current

    def query_weights(self, query: str) -> dict[str, float]:
        """The query's stemmed terms with their idf (unknown terms weigh as the rarest)."""
        return self.term_weights(tokenize([query])[0])

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        """Stemmed terms (as `terms_of` gives them) with their idf (unknown terms weigh as the rarest)."""
        rows = self.current()
        top = math.log(1 + (rows.live_rows + 0.5) / 0.5) if rows.live_rows else 1.0
        return {term: rows.idf(rows.vocab[term]) if term in rows.vocab and rows.df[rows.vocab[term]] > 0 else top for term in dict.fromkeys(terms)}

    def terms_of(self, texts: list[str]) -> list[list[str]]:
        return tokenize(texts) if texts else []
