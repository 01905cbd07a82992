"""Static token vectors distilled from the sentence model, for scoring many short texts fast.

An answer weighs ~100 sentences against the question; running the encoder on
each costs ~1-3 ms a sentence on two cores, more than the whole search. Here
every vocabulary token is run through the encoder once, alone (`[CLS] token
[SEP]`), and a sentence's vector is the mean of its content tokens' vectors:
the distillation model2vec popularised, done with our own ONNX session (its
distiller needs torch). Built in ~4 s on first use and kept beside the model.
On QMSum answers it picks sentences as well as the encoder does
(benchmarks/README.md); it is used for ranking sentences only, never stored.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

FILE_NAME = "token_vectors.npy"
BATCH = 1024


class TokenVectors:
    """Unit sentence vectors as the mean of their content tokens' static vectors."""

    def __init__(self, table: np.ndarray, tokenizer: Any, skip: np.ndarray) -> None:
        self.table = table  # (vocabulary, dim) float16
        self.tokenizer = tokenizer
        self.skip = skip  # tokens that carry no topic: special, punctuation, stop words

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(texts)):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            ids = ids[~self.skip[ids]]
            if len(ids):
                vector = self.table[ids].astype(np.float32).mean(axis=0)
                out[row] = vector / max(float(np.linalg.norm(vector)), 1e-9)
        return out


def load_token_vectors(model_dir: Path, tokenizer: Any, encode_ids) -> TokenVectors:
    """The table saved beside the model, or built now (and saved when the folder is writable)."""
    size = tokenizer.get_vocab_size()
    path = model_dir / FILE_NAME
    table = _read(path, size)
    if table is None:
        cls, sep = _special(tokenizer, "[CLS]"), _special(tokenizer, "[SEP]")
        table = np.concatenate(
            [encode_ids([[cls, i, sep] for i in range(start, min(size, start + BATCH))]) for start in range(0, size, BATCH)]
        ).astype(np.float16)
        _write(path, table)
    return TokenVectors(table, tokenizer, _skip_mask(tokenizer, size))


def _read(path: Path, size: int) -> np.ndarray | None:
    try:
        table = np.load(path)
    except (OSError, ValueError):
        return None
    return table if table.ndim == 2 and table.shape[0] == size else None


def _write(path: Path, table: np.ndarray) -> None:
    """Atomically, so two processes building at once never leave half a file; a read-only folder is fine."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".token-vectors-", suffix=".npy")
        with os.fdopen(handle, "wb") as out:
            np.save(out, table)
        os.replace(temporary, path)
    except OSError:
        pass


def _special(tokenizer: Any, token: str) -> int:
    """A BERT-style special token's id ([CLS], [SEP]); 0 for a vocabulary without it."""
    return tokenizer.token_to_id(token) or 0


def _skip_mask(tokenizer: Any, size: int) -> np.ndarray:
    from bm25s.stopwords import STOPWORDS_EN

    skip = np.zeros(size, dtype=bool)
    for token_id in range(size):
        token = tokenizer.id_to_token(token_id) or ""
        skip[token_id] = bool(re.fullmatch(r"\[[A-Z]+\]|(##)?\W*", token))
    for word in STOPWORDS_EN:
        token_id = tokenizer.token_to_id(word)
        if token_id is not None:
            skip[token_id] = True
    return skip
