"""The words BM25 and answer scoring count: lower-case, 2+ characters, English stop words out, Snowball-stemmed.

One tokenizer for indexing, querying and weighing answer sentences, so a term
means the same thing on every side. bm25s does the splitting and stemming.
"""

from __future__ import annotations

import threading
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
