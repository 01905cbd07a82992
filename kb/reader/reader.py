"""The reader at run time: onnxruntime over the built graph, one pair per call, pairs side by side on a pool.

One pair per call, as the embedder does: the int8 graph quantizes activations per call, so a pair
scored in a padded batch would depend on its batch-mates; alone it always gets the same score, and
with no padding it is also faster. The question (or premise) is the first segment, the unit (or
claim) the second; the longer side is truncated to the reader's token budget.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from kb.embedding.onnx_embedding import cpu_session

_LOADING = threading.Lock()
_LOADED: dict[str, Reader] = {}


class Reader:
    """`answers`: how likely each text answers a question; `verdicts`: (support, contradict, unaddressed) per claim."""

    def __init__(self, model_dir: Path, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        settings = json.loads((model_dir / "reader.json").read_text())
        self.verdict_names: list[str] = settings["verdicts"]
        self._session = cpu_session(model_dir / "model.onnx", threads=1)
        self._pool = ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1, thread_name_prefix="reader")
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=int(settings["max_tokens"]), strategy="longest_first")
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    def answers(self, question: str, texts: list[str]) -> np.ndarray:
        """P(the text answers the question) for each text, in order."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        logits = np.array([answer for answer, _ in self._run([(question, text) for text in texts])], dtype=np.float32)
        return 1.0 / (1.0 + np.exp(-logits))

    def verdicts(self, premises: list[str], claims: list[str]) -> np.ndarray:
        """(n, 3) probabilities that each premise supports, contradicts or does not address its claim."""
        if not claims:
            return np.zeros((0, len(self.verdict_names)), dtype=np.float32)
        logits = np.array([verify for _, verify in self._run(list(zip(premises, claims)))], dtype=np.float32)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def _run(self, pairs: list[tuple[str, str]]) -> list[tuple[float, np.ndarray]]:
        encodings = self._tokenizer.encode_batch(pairs)
        return list(self._pool.map(self._one, encodings))

    def _one(self, encoding) -> tuple[float, np.ndarray]:
        feeds = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        answer, verify = self._session.run(["answer", "verify"], feeds)
        return float(answer[0]), verify[0]


def load_reader(cache_dir: Path) -> Reader | None:
    """The shipped reader, built on first use into `cache_dir` and loaded once per process; None when none ships."""
    from kb.reader.build import reader_model_dir, shipped

    if not shipped():
        return None
    with _LOADING:
        key = str(cache_dir)
        if key not in _LOADED:
            _LOADED[key] = Reader(reader_model_dir(cache_dir))
        return _LOADED[key]
