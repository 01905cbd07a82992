"""Backups that restore: a consistent snapshot of a store as one archive, and its restore into an empty store.

What is kept is the store's content, not Chroma's files: every live passage (id,
text, metadata and its vector), every document record and the store's generation,
read through Chroma's API. So the same archive comes from an embedded store or a
Chroma server, is taken while `kb serve` keeps answering, and restores into either;
the keyword index is derived data and is rebuilt from the passages on restore.

Consistency: the rows are read without the lock, then the records again under the
store's write lock, and every document written meanwhile is read again whole; the
archive is the store at that moment (`_snapshot`), and writers wait only for that
short second read (`make scale` measures it). Only passages of each document's live
version are kept, so a write that died before the backup leaves nothing of itself in it.

The archive is a gzip'd tar of four members; `manifest.json` names the format and
its version, panel-kb's version, the embedding model, counts, the people merges
(`kb people merge`, a small JSON object) and each other member's size and sha256. A restore checks the manifest and the sizes before it
unpacks, and each checksum as it unpacks, before it writes anything to a store: a
torn, tampered or foreign archive is refused with nothing written. An embedded
store is built in a hidden folder inside its (empty) destination and moved into
place when complete; a failed restore removes it, and one killed outright leaves
only that folder, which the next restore names. A Chroma server's collection is
dropped again when a restore into it fails.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from kb.contract import version
from kb.errors import InvalidInput, StoreMismatch
from kb.people.links import valid_links
from kb.settings import Settings

FORMAT, FORMAT_VERSION = "panel-kb-backup", 1
MEMBERS = ("documents.jsonl", "passages.jsonl", "embeddings.f32")
PAGE = 2000  # passages read from Chroma per call


class BackupRefused(InvalidInput):
    """An archive that cannot be restored (torn, tampered, foreign), or a destination that must not be overwritten."""


def take_backup(store: Any, writing: Callable[[], Any], dest: Path) -> dict[str, Any]:
    """Write a backup archive of `store` (kb.store.chroma.ChromaStore) to the new file `dest`; its manifest.

    `writing()` is the store's write lock (a context manager), held while the rows are read.
    The archive is written beside `dest` and renamed to it when complete.
    """
    partial = new_file(dest)
    try:
        with tempfile.TemporaryDirectory(prefix=f".{dest.name}.rows-", dir=dest.parent) as folder:  # where the user has room
            work = Path(folder)
            started = time.perf_counter()
            counts, generation, held = _snapshot(store, writing, work)
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
        publish(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    manifest["seconds"] = round(time.perf_counter() - started, 3)
    manifest["archive_bytes"] = dest.stat().st_size
    return manifest


def new_file(dest: Path) -> Path:
    """Where to write an archive bound for `dest` (renamed to it once whole); refuses to replace a file."""
    if dest.exists():
        raise _exists(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.with_name(f".{dest.name}.partial-{os.getpid()}")


def publish(partial: Path, dest: Path) -> None:
    """`partial` becomes `dest`, never replacing a file that appeared there meanwhile (a link fails if it exists)."""
    try:
        os.link(partial, dest)
    except FileExistsError:
        raise _exists(dest) from None


def _exists(dest: Path) -> InvalidInput:
    return InvalidInput(f"{dest} exists: give the backup a new file name (backups are never overwritten)")


def read_manifest(archive_path: Path) -> dict[str, Any]:
    """The manifest of an archive (its first member), without unpacking the rest."""
    with tarfile.open(archive_path, mode="r|gz") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.name == "manifest.json" else None
            if handle is not None:
                return json.loads(handle.read())
    raise BackupRefused(f"{archive_path.name}: no manifest.json: not a panel-kb backup")


def _snapshot(store: Any, writing: Callable[[], Any], work: Path) -> tuple[dict[str, Any], str, float]:
    """The store's content as of one moment, into the work folder: (counts and the people merges, generation, seconds writers waited).

    Read first without the lock (at 100k passages the read takes tens of seconds, far
    longer than an upload may wait); then, under the lock, the records are read again
    and every document whose live version changed meanwhile, or whose passages were not
    all read, is read again whole. The result is the store at that second read: what
    writers wait for is the records and the few documents written during the backup.
    """
    before = {doc_id: _live_hash(record) for doc_id, record in store.get_documents().items()}
    read = Counter[tuple[str, str]]()
    dimensions = 0
    with open(work / "draft.jsonl", "w", encoding="utf-8") as rows, open(work / "draft.f32", "wb") as vectors:
        for chunk_id, metadata, embedding in _all_passages(store):
            key = (str(metadata.get("doc_id", "")), str(metadata.get("doc_hash", "")))
            if before.get(key[0]) == key[1]:  # not an old version a died write left, nor a new one not yet live
                dimensions = dimensions or len(embedding)
                _write_row(rows, vectors, chunk_id, metadata, embedding)
                read[key] += 1
    with writing():
        locked = time.perf_counter()
        records = store.get_documents()
        generation = store.generation()
        people = store.people_links()
        changed = {
            doc_id
            for doc_id, record in records.items()
            if before.get(doc_id) != _live_hash(record) or read[(doc_id, _live_hash(record))] != int(record.metadata.get("passages", -1))
        }
        again = [row for doc_id in sorted(changed) for row in _passages_of(store, doc_id, _live_hash(records[doc_id]))]
        held = time.perf_counter() - locked
    dimensions = dimensions or (len(again[0][2]) if again else 0)
    passages = _write_rows(work, set(records) - changed, again, 4 * dimensions)
    with open(work / "documents.jsonl", "w", encoding="utf-8") as documents:
        for doc_id in sorted(records):
            documents.write(json.dumps({"doc_id": doc_id, "metadata": records[doc_id].metadata}, ensure_ascii=False) + "\n")
    return {"documents": len(records), "passages": passages, "dimensions": dimensions, "people": people}, generation, held


def _live_hash(record: Any) -> str:
    return str(record.metadata.get("content_hash", ""))


def _passages_of(store: Any, doc_id: str, live: str) -> list[tuple[str, dict[str, Any], Any]]:
    result = store.passages.get(where={"$and": [{"doc_id": doc_id}, {"doc_hash": live}]}, include=["metadatas", "embeddings"])
    return [(chunk_id, dict(m or {}), e) for chunk_id, m, e in zip(result["ids"], result["metadatas"], result["embeddings"])]


def _write_rows(work: Path, keep: set[str], again: list[tuple[str, dict[str, Any], Any]], vector_bytes: int) -> int:
    """The archive's passages: the first read's rows of documents unchanged since, then those read again; how many."""
    count = 0
    with (
        open(work / "draft.jsonl", encoding="utf-8") as draft_rows,
        open(work / "draft.f32", "rb") as draft_vectors,
        open(work / "passages.jsonl", "w", encoding="utf-8") as rows,
        open(work / "embeddings.f32", "wb") as vectors,
    ):
        for line in draft_rows:
            vector = draft_vectors.read(vector_bytes)
            if json.loads(line)["metadata"].get("doc_id") in keep:
                rows.write(line)
                vectors.write(vector)
                count += 1
        for row in again:
            _write_row(rows, vectors, *row)
            count += 1
    for draft in ("draft.jsonl", "draft.f32"):
        (work / draft).unlink()
    return count


def _write_row(rows: IO[str], vectors: IO[bytes], chunk_id: str, metadata: dict[str, Any], embedding: Any) -> None:
    """One passage: its id and metadata as a JSON line, its vector as little-endian float32 at the same index."""
    rows.write(json.dumps({"id": chunk_id, "metadata": metadata}, ensure_ascii=False) + "\n")
    vectors.write(np.asarray(embedding, dtype="<f4").tobytes())


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
    """Check and unpack an archive into the folder `into`; its manifest. BackupRefused naming what is wrong.

    The manifest is read and every member's size checked against it before anything is
    unpacked; each member's sha256 is checked as it is written out.
    """
    name = source.name
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            members = {member.name: member for member in archive.getmembers()}  # reads to the end: a torn file fails here
            expected = {"manifest.json", *MEMBERS}
            if set(members) != expected or not all(m.isfile() for m in members.values()):
                raise BackupRefused(f"{name}: not a panel-kb backup (it holds {sorted(members)[:6]}, expected {sorted(expected)})")
            manifest = _manifest(_read(archive, members["manifest.json"]), name)
            for member, described in manifest["members"].items():
                if members[member].size != described["bytes"]:
                    raise BackupRefused(f"{name}: {member} is not the size its manifest gives: the archive was changed or damaged")
            for member, described in manifest["members"].items():
                if _write_out(archive, members[member], into / member) != described["sha256"]:
                    raise BackupRefused(
                        f"{name}: {member} does not match the checksum its manifest gives: the archive was changed or damaged; take the backup again"
                    )
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupRefused(
            f"{name}: the archive is incomplete or damaged ({exc.__class__.__name__}: {str(exc)[:120]}): take the backup again"
        ) from None
    return manifest


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    return handle.read() if handle is not None else b""


def _write_out(archive: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> str:
    """Copy one member out (only the four known names are ever written: no path comes from the archive); its sha256."""
    handle = archive.extractfile(member)
    digest = hashlib.sha256()
    try:
        with open(path, "wb") as out:
            for block in iter(lambda: handle.read(1 << 20), b"") if handle is not None else ():
                digest.update(block)
                out.write(block)
    except OSError as exc:  # the disk, not the archive
        raise InvalidInput(f"cannot unpack the backup into {path.parent} ({exc.strerror}): free some space there, or set TMPDIR") from None
    return digest.hexdigest()


def _manifest(data: bytes, name: str) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupRefused(f"{name}: its manifest.json is not JSON: not a panel-kb backup, or damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{name}: not a panel-kb backup (manifest format {manifest.get('format') if isinstance(manifest, dict) else None!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            f"{name}: a backup of format version {manifest.get('format_version')}; this panel-kb ({version()}) restores version {FORMAT_VERSION}"
        )
    members = manifest.get("members")
    if (
        not isinstance(members, dict)
        or set(members) != set(MEMBERS)
        or not all(isinstance(m, dict) and "sha256" in m and "bytes" in m for m in members.values())
    ):
        raise BackupRefused(f"{name}: its manifest does not describe the archive's members: damaged")
    try:
        manifest["people"] = valid_links(manifest.get("people") or {})  # archives from before people have none
    except InvalidInput as problem:
        raise BackupRefused(f"{name}: its manifest's people merges are damaged ({problem.message})") from None
    return manifest


def restore_rows(store: Any, folder: Path, manifest: dict[str, Any]) -> None:
    """Write an unpacked backup's passages (with their vectors, not embedded again) and records into an empty store."""
    from kb.store.chroma import DocumentRecord, StoredPassage

    stored_model = (store.passages.metadata or {}).get("embed_model", "")
    if manifest["embed_model"] and stored_model and manifest["embed_model"] != stored_model:
        raise StoreMismatch(
            f"the backup's passages were embedded with {manifest['embed_model']}, this store's model is {stored_model}: "
            "restore with the KB_EMBED_MODEL the backup was taken with"
        )
    dimensions, count = int(manifest["dimensions"]), int(manifest["passages"])
    if (folder / "embeddings.f32").stat().st_size != 4 * dimensions * count:
        raise BackupRefused("the backup's vectors do not match its passage count: damaged")
    vectors = np.memmap(folder / "embeddings.f32", dtype="<f4", mode="r", shape=(count, dimensions)) if count else np.zeros((0, 0), "<f4")
    store.mark_writing()  # an interrupted restore is seen (and repaired) like any interrupted write
    batch: list[StoredPassage] = []
    with open(folder / "passages.jsonl", encoding="utf-8") as rows:
        for index, line in enumerate(rows):
            row = json.loads(line)
            batch.append(StoredPassage(row["id"], str(row["metadata"].get("text", "")), row["metadata"], vectors[index].tolist()))
            if len(batch) >= PAGE:  # a page at a time: the vectors stay on disk (memmap) until written
                store.upsert_passages(batch)
                batch = []
    store.upsert_passages(batch)
    with open(folder / "documents.jsonl", encoding="utf-8") as documents:
        store.put_documents([DocumentRecord(row["doc_id"], row["metadata"]) for row in map(json.loads, documents)])
    store.put_people_links(manifest["people"])  # `kb people merge` links, checked with the manifest
    store.bump_generation()  # a new one: nothing built for another store (a keyword index) is taken for this one's
    store.clear_writing()


RESTORING = ".restoring-"  # the folder inside KB_DATA_DIR a restore builds in


def destination(settings: Settings) -> Path | None:
    """The empty KB_DATA_DIR an embedded restore fills (None: a Chroma server); BackupRefused for one that holds anything."""
    if settings.chroma_url:
        return None
    target = settings.data_dir
    entries = [entry for entry in target.iterdir() if entry.name != "lost+found"] if target.is_dir() else []
    if entries and all(entry.name.startswith(RESTORING) for entry in entries):
        raise BackupRefused(f"an earlier restore into {target} was interrupted: remove {entries[0]} and restore again")
    if entries or (target.exists() and not target.is_dir()):
        raise BackupRefused(
            f"{target} is not empty: restore into a new KB_DATA_DIR (or `kb restore --data-dir NEW`); a restore never overwrites a store"
        )
    return target


def build_in(target: Path) -> Path:
    """A fresh hidden folder inside `target` (made if need be) to build the restored store in.

    Inside, not beside: KB_DATA_DIR may be a mount point (a volume), which can neither be
    replaced nor reached by a rename from its parent's filesystem.
    """
    target.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=RESTORING, dir=target))


def move_into_place(built: Path, target: Path) -> None:
    """The built store's folders moved up into `target` (renames within one filesystem), then the build folder gone."""
    for entry in sorted(built.iterdir()):
        os.replace(entry, target / entry.name)
    built.rmdir()


def discard(built: Path, target: Path, made: bool) -> None:
    """A failed restore leaves nothing: the build folder, and `target` itself when the restore made it."""
    shutil.rmtree(built, ignore_errors=True)
    if made:
        with contextlib.suppress(OSError):
            target.rmdir()
