"""Backups that restore: a consistent snapshot of a store as one archive, and its restore into an empty store.

What is kept is the store's content, not Chroma's files: every live passage (id,
text, metadata and its vector), every document record and the store's generation,
read through Chroma's API. So the same archive comes from an embedded store or a
Chroma server, is taken while `kb serve` keeps answering, and restores into either;
the keyword index is derived data and is rebuilt from the passages on restore.

Consistency: the rows are read under the store's write lock, so no write lands
half-way through the read (writers wait that long: ~seconds per 10k passages,
`make scale` measures it); the archive is packed and checksummed after the lock is
let go. Only passages of each document's live version are kept, so a write that
died before the backup leaves nothing of itself in it.

The archive is a gzip'd tar of four members; `manifest.json` names the format and
its version, panel-kb's version, the embedding model, counts and each other
member's size and sha256. A restore checks all of that before it writes anything,
and builds an embedded store beside its destination, renaming it into place only
once complete: a torn, tampered or foreign archive, or an interrupted restore,
leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from kb.contract import version
from kb.errors import InvalidInput, StoreMismatch
from kb.settings import Settings

FORMAT, FORMAT_VERSION = "panel-kb-backup", 1
MEMBERS = ("documents.jsonl", "passages.jsonl", "embeddings.f32")
PAGE = 2000  # passages read from Chroma per call


class BackupRefused(InvalidInput):
    """An archive that cannot be restored (torn, tampered, foreign), or a destination that must not be overwritten."""


def take_backup(store: Any, writing: Callable[[], Any], dest: Path, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Write a backup archive of `store` (kb.store.chroma.ChromaStore) to the new file `dest`; its manifest.

    `writing()` is the store's write lock (a context manager), held while the rows are read.
    The archive is written beside `dest` and renamed to it when complete.
    """
    partial = new_file(dest)
    try:
        with tempfile.TemporaryDirectory(prefix="panel-kb-backup-") as folder:
            work = Path(folder)
            started = time.perf_counter()
            with writing():
                locked = time.perf_counter()
                counts = _dump(store, work, progress)
                generation = store.generation()
                held = time.perf_counter() - locked
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "panel_kb": version(),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "collection": store.name,
                "embed_model": (store.passages.metadata or {}).get("embed_model", ""),
                "generation": generation,
                **counts,
                "write_lock_seconds": round(held, 3),
                "members": {name: _described(work / name) for name in MEMBERS},
            }
            (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
            with tarfile.open(partial, mode="w:gz", compresslevel=1) as archive:
                for name in ("manifest.json", *MEMBERS):
                    archive.add(work / name, arcname=name, recursive=False)
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    manifest["seconds"] = round(time.perf_counter() - started, 3)
    manifest["archive_bytes"] = dest.stat().st_size
    return manifest


def new_file(dest: Path) -> Path:
    """Where to write an archive bound for `dest` (renamed to it once whole); refuses to replace a file."""
    if dest.exists():
        raise InvalidInput(f"{dest} exists: give the backup a new file name (backups are never overwritten)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.with_name(f".{dest.name}.partial-{os.getpid()}")


def read_manifest(archive_path: Path) -> dict[str, Any]:
    """The manifest of an archive (its first member), without unpacking the rest."""
    with tarfile.open(archive_path, mode="r|gz") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.name == "manifest.json" else None
            if handle is not None:
                return json.loads(handle.read())
    raise BackupRefused(f"{archive_path.name}: no manifest.json: not a panel-kb backup")


def _dump(store: Any, work: Path, progress: Callable[[int], None] | None) -> dict[str, int]:
    """Live passages and document records into the work folder; their counts."""
    records = store.get_documents()
    live = {doc_id: str(record.metadata.get("content_hash", "")) for doc_id, record in records.items()}
    with open(work / "documents.jsonl", "w", encoding="utf-8") as documents:
        for doc_id in sorted(records):
            documents.write(json.dumps({"doc_id": doc_id, "metadata": records[doc_id].metadata}, ensure_ascii=False) + "\n")
    passages, dimensions = 0, 0
    with open(work / "passages.jsonl", "w", encoding="utf-8") as rows, open(work / "embeddings.f32", "wb") as vectors:
        for chunk_id, metadata, embedding in _all_passages(store):
            if live.get(str(metadata.get("doc_id", ""))) != str(metadata.get("doc_hash", "")):
                continue  # an old version a died write left, or one being replaced: not part of the store's content
            rows.write(json.dumps({"id": chunk_id, "metadata": metadata}, ensure_ascii=False) + "\n")
            vector = np.asarray(embedding, dtype="<f4")
            dimensions = dimensions or vector.shape[0]
            vectors.write(vector.tobytes())
            passages += 1
            if progress and passages % PAGE == 0:
                progress(passages)
    return {"documents": len(records), "passages": passages, "dimensions": dimensions}


def _all_passages(store: Any) -> Iterator[tuple[str, dict[str, Any], Any]]:
    offset = 0
    while True:
        result = store.passages.get(include=["metadatas", "embeddings"], limit=PAGE, offset=offset)
        if not result["ids"]:
            return
        yield from zip(result["ids"], (dict(m or {}) for m in result["metadatas"]), result["embeddings"])
        offset += len(result["ids"])


def _described(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size, "sha256": _sha256(path)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- restore ------------------------------------------------------------------------
def unpack(source: Path, into: Path) -> dict[str, Any]:
    """Check and unpack an archive into the folder `into`; its manifest. BackupRefused naming what is wrong."""
    name = source.name
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            members = {member.name: member for member in archive.getmembers()}
            expected = {"manifest.json", *MEMBERS}
            if set(members) != expected or not all(m.isfile() for m in members.values()):
                raise BackupRefused(f"{name}: not a panel-kb backup (it holds {sorted(members)[:6]}, expected {sorted(expected)})")
            for member in members.values():
                archive.extract(member, into, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:  # zlib.error is an OSError's cousin: both mean torn
        raise BackupRefused(
            f"{name}: the archive is incomplete or damaged ({exc.__class__.__name__}: {str(exc)[:120]}): take the backup again"
        ) from None
    manifest = _manifest(into / "manifest.json", name)
    for member, described in manifest["members"].items():
        path = into / member
        if path.stat().st_size != described["bytes"] or _sha256(path) != described["sha256"]:
            raise BackupRefused(
                f"{name}: {member} does not match the checksum its manifest gives: the archive was changed or damaged; take the backup again"
            )
    return manifest


def _manifest(path: Path, name: str) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupRefused(f"{name}: its manifest.json is not JSON: not a panel-kb backup, or damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{name}: not a panel-kb backup (manifest format {manifest.get('format') if isinstance(manifest, dict) else None!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            f"{name}: a backup of format version {manifest.get('format_version')}; this panel-kb ({version()}) restores version {FORMAT_VERSION}"
        )
    if set(manifest.get("members", {})) != set(MEMBERS):
        raise BackupRefused(f"{name}: its manifest does not list the archive's members: damaged")
    return manifest


def restore_rows(store: Any, folder: Path, manifest: dict[str, Any], progress: Callable[[int], None] | None = None) -> None:
    """Write an unpacked backup's passages (with their vectors, not embedded again) and records into an empty store."""
    from kb.store.chroma import GENERATION_ID, DocumentRecord, StoredPassage

    stored_model = (store.passages.metadata or {}).get("embed_model", "")
    if manifest["embed_model"] and stored_model and manifest["embed_model"] != stored_model:
        raise StoreMismatch(
            f"the backup's passages were embedded with {manifest['embed_model']}, this store's model is {stored_model}: "
            "restore with the KB_EMBED_MODEL the backup was taken with"
        )
    dimensions = int(manifest["dimensions"])
    vectors = np.fromfile(folder / "embeddings.f32", dtype="<f4")
    if dimensions and vectors.size != dimensions * int(manifest["passages"]):
        raise BackupRefused("the backup's vectors do not match its passage count: damaged")
    vectors = vectors.reshape(-1, dimensions) if dimensions else vectors.reshape(0, 0)
    store.mark_writing()  # an interrupted restore is seen (and repaired) like any interrupted write
    batch: list[StoredPassage] = []
    done = 0
    with open(folder / "passages.jsonl", encoding="utf-8") as rows:
        for index, line in enumerate(rows):
            row = json.loads(line)
            text = str(row["metadata"].get("text", ""))
            batch.append(StoredPassage(row["id"], text, row["metadata"], vectors[index].tolist()))
            if len(batch) >= min(store.max_batch, PAGE):
                store.upsert_passages(batch)
                done += len(batch)
                batch = []
                if progress:
                    progress(done)
    store.upsert_passages(batch)
    with open(folder / "documents.jsonl", encoding="utf-8") as documents:
        store.put_documents([DocumentRecord(row["doc_id"], row["metadata"]) for row in map(json.loads, documents)])
    store.state.upsert(ids=[GENERATION_ID], embeddings=[[1.0]], metadatas=[{"value": manifest["generation"] or "restored"}])
    store.clear_writing()


def empty_destination(settings: Settings) -> Path | None:
    """Where an embedded restore builds (None: a Chroma server), refusing a destination that holds a store."""
    if settings.chroma_url:
        return None
    target = settings.data_dir
    if target.exists() and any(target.iterdir()):
        raise BackupRefused(
            f"{target} is not empty: restore into a new KB_DATA_DIR (or `kb restore --data-dir NEW`); a restore never overwrites a store"
        )
    return target


def build_beside(target: Path) -> Path:
    """A fresh folder next to `target` to build the restored store in (renamed into place when complete)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    built = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-", dir=target.parent))
    umask = os.umask(0)  # mkdtemp makes it private; the store gets what a new KB_DATA_DIR would
    os.umask(umask)
    built.chmod(0o777 & ~umask)
    return built


def move_into_place(built: Path, target: Path) -> None:
    if target.exists():
        target.rmdir()  # empty, checked before the restore began
    os.replace(built, target)


def discard(built: Path) -> None:
    shutil.rmtree(built, ignore_errors=True)
