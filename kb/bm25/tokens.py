"""The words BM25 and answer scoring count: lower-case, 2+ characters, English stop words out, Snowball-stemmed.

One tokenizer for indexing, querying and weighing answer sentences, so a term
means the same thing on every side. bm25s does the splitting and stemming.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any


def tokenize(texts: list[str]) -> list[list[str]]:
    """Each text's stemmed terms, in order (repeats kept: BM25 counts them)."""
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(Stemmer), return_ids=False, show_progress=False)


_STEMMERS: dict[int, Any] = {}


def _stemmer(module):
    key = threading.get_ident()
    if key not in _STEMMERS:  # Stemmer objects are not thread-safe: one per thread
        _STEMMERS[key] = module.Stemmer("english")
    return _STEMMERS[key]


def stem_words(words: list[str]) -> list[str]:
    """Each word's stem as `tokenize` would count it, or "" for a stop word or a one-letter word (kb/people/summary.py
    names topics as written, so it stems word by word to keep each stem's spelling)."""
    import Stemmer

    stop, stemmer = _stopwords(), _stemmer(Stemmer)
    return ["" if len(word) < 2 or word in stop else stemmer.stemWord(word) for word in words]  # "" stays "" too


@cache
def _stopwords() -> frozenset[str]:
    """bm25s's English stop words: the ones `tokenize` leaves out."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)
