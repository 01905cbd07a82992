"""A sentence embedder over any ONNX BERT-style encoder, as a llama-index embedding.

Mean pooling over real tokens and L2 normalisation, as sentence-transformers
does for MiniLM. Inputs longer than `max_tokens` would be truncated silently
by the tokenizer, so the chunkers measure passages with `count_tokens` first.

Every text goes through the model alone, on one core, several texts at once
on a thread pool. Why: the int8 model quantizes activations per call (dynamic
quantization: one scale over the whole input tensor), so a text embedded in a
padded batch got a vector that depended on its batch-mates (up to 0.015 per
component), and a store rebuilt from the same files ranked differently. Alone,
a text always gets the same vector, bit for bit; and with no padding to compute
it is also faster than sorted batches (benchmarks/README.md, Embedding).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

DEFAULT_MAX_TOKENS = 256
_BUILDING = threading.Lock()


class OnnxEmbedding(BaseEmbedding):
    """Embeds with onnxruntime + tokenizers; no torch."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    model_dir: str = ""
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _counter: Any = PrivateAttr()
    _input_names: list[str] = PrivateAttr()
    _token_vectors: Any = PrivateAttr(default=None)
    _pool: ThreadPoolExecutor = PrivateAttr()
    _solo: Any = PrivateAttr()

    def __init__(
        self, model_dir: Path, model_name: str, max_tokens: int = DEFAULT_MAX_TOKENS, embed_batch_size: int = 32, threads: int | None = None
    ) -> None:
        from tokenizers import Tokenizer

        super().__init__(model_name=model_name, embed_batch_size=embed_batch_size, max_tokens=max_tokens, model_dir=str(model_dir))
        cores = threads or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(max_workers=cores, thread_name_prefix="embed")
        # Many texts: one core each, side by side on the pool. One text (a query): every core on it,
        # ~1.3 vs 2.3 ms. The kernels split rows, not sums, across threads, so both give the same bits.
        self._session = cpu_session(Path(model_dir) / "model.onnx", threads=1)
        self._solo = cpu_session(Path(model_dir) / "model.onnx", threads=cores)
        self._input_names = [item.name for item in self._session.get_inputs()]
        tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        # MiniLM's tokenizer.json hard-codes 128-token truncation and padding; set our own.
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()  # one text per call: nothing to pad
        self._tokenizer = tokenizer
        # A twin without truncation, so counting sees the real length of a text.
        self._counter = Tokenizer.from_str(tokenizer.to_str())
        self._counter.no_truncation()

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    @property
    def dimension(self) -> int:
        return int(self._session.get_outputs()[0].shape[-1])

    def count_tokens(self, text: str) -> int:
        """Tokens the encoder sees for `text`, [CLS] and [SEP] included, before truncation."""
        return len(self._counter.encode(text).ids)

    def count_tokens_batch(self, texts: list[str]) -> list[int]:
        """`count_tokens` for many texts at once (the tokenizer encodes them in parallel)."""
        return [len(e.ids) for e in self._counter.encode_batch(texts)]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts; returns an (n, dim) float32 array of unit vectors, in input order.

        Each text is run alone (see the module's docstring), so its vector never
        depends on what else is embedded with it.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        token_ids = [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]
        if len(token_ids) == 1:
            return self._embed_batch(token_ids, self._solo)
        return np.concatenate(list(self._pool.map(lambda ids: self._embed_batch([ids]), token_ids)))

    def _embed_batch(self, token_ids: list[list[int]], session: Any = None) -> np.ndarray:
        """Texts padded into one call: for one text, or where batch-mates do not matter (token vectors, built once)."""
        width = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = (session or self._session).run(None, {name: feeds[name] for name in self._input_names})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)

    def token_vectors(self):
        """Static token vectors of this model (kb.embedding.token_vectors), built once per process."""
        with _BUILDING:
            if self._token_vectors is None:
                from kb.embedding.token_vectors import load_token_vectors

                self._token_vectors = load_token_vectors(Path(self.model_dir), self._counter, self._embed_batch)
            return self._token_vectors

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()


def cpu_session(model_file: Path, threads: int):
    """An onnxruntime session on `threads` cores (onnxruntime imported here: `kb --help` stays fast)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
