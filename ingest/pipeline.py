"""Idempotent ingest: plan every file by content hash first, then apply the plan.

Unchanged files cost a hash. A changed file is re-read and handed to the
knowledge base's file writer (kb/protocol.py): a store this process opened
parses it here (`_parse`: the readers and chunking) and swaps documents in
atomically, in batches; a store a `kb serve` owns gets the bytes uploaded and
parses them there. One bad file is reported with its reason and the rest still go in.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.chunking import chunk_units
from ingest.errors import ReadError
from ingest.readers import read_document
from ingest.sources import Source, discover
from ingest.upload_names import checked_doc_id
from kb.audio.transcribe import transcribe
from kb.contract import SUPPORTED, is_recording
from kb.errors import KBError
from kb.models import FileReport, FileStatus, IngestReport
from kb.protocol import IncomingFile, KnowledgeBaseLike
from kb.settings import Settings
from kb.store.drafts import DocumentWrite, PassageDraft
from kb.store.write_batch import WriteBatch

# Bump when readers, chunkers or the embedder change what a file turns into: every file re-ingests once.
# 4: every text embedded alone (its vector no longer depends on its batch-mates). 5: caption cue times kept per word.
# 6: diarizer and export label styles, sound tags, PDF headers/footers/hyphens/contents, PDF outline sections.
# 7: a first name completed within its file, hard-wrapped `>>` captions as turns, passages cut at 240 s, PDF headings and page-break sentences.
PIPELINE_VERSION = "7"


class Progress(Protocol):
    """What a front end (the CLI's progress bar) hears while an ingest runs."""

    def planned(self, to_write: int, total: int) -> None: ...

    def file_done(self, report: FileReport) -> None: ...

    # A front end may also offer `transcribing(doc_id, seconds_done, seconds_total)`: a recording's progress (kb/audio/).


@dataclass
class PlannedFile:
    source: Source
    status: FileStatus  # added | updated | unchanged
    content_hash: str
    passages: int = 0
    kind: str | None = None


Look = tuple[tuple[int, int, int, int], str | None]  # ((size, mtime_ns, ctime_ns, inode), content hash)
Hashed = dict[tuple[str, tuple[int, int, int, int]], str]  # (doc_id, how the file looked) -> its content hash, within one ingest


def _looks(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


@dataclass
class Failures:
    """Files that failed, remembered by what they looked like, so that a watcher reads and reports each only once.

    A watched folder re-plans every file on every batch: without this, an empty or
    binary file was reported "failed" on each batch, and a 20 MB file refused for
    KB_MAX_PASSAGES was chunked again each time, delaying every small file dropped
    beside it. A file is tried again once it changes: another size, modification or
    status-change time or inode, unless its content hash is still the one that failed.
    Failures that may mend without a change are not remembered: a file that could not
    be opened (permissions, vanished), and the store's own (busy, it refused the write,
    a server error: `FileReport.retry`).
    """

    seen: dict[str, Look] = field(default_factory=dict)  # doc_id -> how it looked when it failed

    def known(self, doc_id: str, stat: os.stat_result | None, digest: str | None = None) -> bool:
        """Did this file fail looking just like this (same size, times and inode, or the same content)?"""
        failed = self.seen.get(doc_id)
        if failed is None:
            return False
        return (stat is not None and failed[0] == _looks(stat)) or (digest is not None and failed[1] == digest)

    def learn(self, report: IngestReport, looks: dict[str, Look]) -> None:
        """Remember this run's failures of files it looked at; forget those that now went in."""
        for file in report.files:
            if file.status == "failed" and file.doc_id in looks and not file.retry:
                self.seen[file.doc_id] = looks[file.doc_id]
            elif file.status != "failed":
                self.seen.pop(file.doc_id, None)


@dataclass(frozen=True)
class Reading:
    """How files are read, beyond their bytes: a forced kind, labels mapped to people. Both decide re-ingest."""

    kind: str | None = None
    speaker_names: tuple[tuple[str, str], ...] = ()  # ("SPEAKER_00", "Maya Chen"), sorted

    @classmethod
    def of(cls, kind: str | None = None, speaker_names: dict[str, str] | None = None) -> Reading:
        return cls(kind, tuple(sorted((speaker_names or {}).items())))


def content_hash(data: bytes, reading: Reading) -> str:
    """What decides re-ingest: the bytes, how they are read, and the pipeline version."""
    digest = _hash_start(reading)
    digest.update(data)
    return digest.hexdigest()


def _file_hash(path: Path, reading: Reading) -> str:
    """content_hash of a file, read in blocks (planning never holds a whole file)."""
    digest = _hash_start(reading)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_start(reading: Reading):
    names = "".join(f"{label}={name}\x00" for label, name in reading.speaker_names)  # nothing without names: hashes stay
    return hashlib.sha256(f"{PIPELINE_VERSION}\x00{reading.kind or ''}\x00{names}".encode())


def ingest_paths(
    paths: list[Path],
    kb: KnowledgeBaseLike,
    kind: str | None = None,
    dry_run: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    wait: float = 0.0,
    speaker_names: dict[str, str] | None = None,
    failures: Failures | None = None,
) -> IngestReport:
    """Ingest files and folders into `kb`; the report says what happened to each file.

    A real run holds the store's write lock throughout (StoreBusy after `wait`
    seconds if another writer has it; a served store's server takes its own per
    upload); a dry run only reads. With `failures` (a watcher's memory), files that
    failed before and have not changed since are neither read nor reported again.
    """
    reading = Reading.of(kind, speaker_names)
    if dry_run:
        return _ingest_paths(paths, kb, reading, dry_run, prune, progress, None)
    started = time.perf_counter()
    hashed: Hashed = {}  # a recording hashed before the lock is not hashed again in the plan
    _transcribe_first(paths, kb, reading, progress, failures, hashed)
    with kb.writing(wait, "ingest"):
        report = _ingest_paths(paths, kb, reading, dry_run, prune, progress, failures, hashed)
    report.seconds = round(time.perf_counter() - started, 3)  # the transcriptions made before the lock included
    return report


def _ingest_paths(
    paths: list[Path],
    kb: KnowledgeBaseLike,
    reading: Reading,
    dry_run: bool,
    prune: bool,
    progress: Progress | None,
    failures: Failures | None,
    hashed: Hashed | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(dry_run=dry_run)
    if not dry_run:
        _recover(kb, report)
    discovered = discover(paths)
    sources = discovered.sources
    if discovered.skipped:
        report.skipped = discovered.skipped
        shown = ", ".join(discovered.skipped[:5]) + (f" and {len(discovered.skipped) - 5} more" if len(discovered.skipped) > 5 else "")
        report.notes.append(f"skipped {len(discovered.skipped)} file(s) of a type no reader takes ({shown}): supported are {SUPPORTED}")
    for missing in discovered.missing:
        report.record(FileReport(doc_id=missing.doc_id, status="failed", error=missing.error))
    stored = {doc.doc_id: doc for doc in kb.documents()}
    max_bytes = SizeLimits.from_settings(kb.settings)
    looks: dict[str, Look] = {}
    plan, unreadable = _plan(sources, stored, reading, max_bytes, failures or Failures(), looks, hashed or {})
    stale = _stale(stored, discovered.folders, {s.doc_id for s in sources}) if prune else []
    if progress:
        progress.planned(sum(p.status != "unchanged" for p in plan) + len(stale), len(plan) + len(stale) + len(unreadable))
    for failed in unreadable:
        _record(report, failed, progress)
    parse = lambda file: _parse(file, kb, getattr(progress, "transcribing", None))  # noqa: E731
    writer = WriteBatch(parse, write=lambda _: None) if dry_run else kb.file_writer(parse)  # a dry run parses and counts, stores nothing
    for item in plan:
        if item.status == "unchanged":
            _record(report, FileReport(doc_id=item.source.doc_id, status="unchanged", kind=item.kind, passages=item.passages), progress)
            continue
        data = _read_planned(item, reading, max_bytes)
        if isinstance(data, FileReport):  # it changed or vanished since planning: tried again next time
            looks.pop(item.source.doc_id, None)
            _record(report, data, progress)
        else:
            _merge(report, writer.add(_incoming(item, data, reading)), progress)
            if is_recording(item.source.doc_id):  # minutes of transcription are written at once: Ctrl-C keeps them
                _merge(report, writer.flush(), progress)
    _merge(report, writer.flush(), progress)
    for doc_id in stale:
        if not dry_run:
            kb.delete(doc_id)
        _record(report, FileReport(doc_id=doc_id, status="removed", kind=stored[doc_id].kind, passages=stored[doc_id].passages), progress)
    if failures is not None:
        failures.learn(report, looks)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _transcribe_first(
    paths: list[Path], kb: KnowledgeBaseLike, reading: Reading, progress: Progress | None, failures: Failures | None, hashed: Hashed
) -> None:
    """Transcribe new and changed recordings before the write lock is taken: minutes of work must not hold up
    every other writer (an upload would wait, then get 409). The ingest that follows finds the segments made
    (kb/audio/transcribe.py keeps them) and reports any failure itself. A served store transcribes its own."""
    if not getattr(kb, "transcribes_here", False):
        return
    stored = {doc.doc_id: doc.content_hash for doc in kb.documents()}
    limit = int(kb.settings.max_recording_mb * (1 << 20))
    heard = getattr(progress, "transcribing", None)
    for source in discover(paths).sources:
        if not is_recording(source.doc_id):
            continue
        try:
            stat = source.path.stat()
            if stat.st_size > limit or (failures is not None and failures.known(source.doc_id, stat)):
                continue
            digest = hashed[(source.doc_id, _looks(stat))] = _file_hash(source.path, reading)
            if stored.get(source.doc_id) == digest:
                continue
            transcribe(source.path.read_bytes(), kb.settings, _heard(heard, source.doc_id))
        except (OSError, KBError):
            continue  # the ingest itself reads it again and says what is wrong


def _heard(transcribing: Callable[[str, float, float], None] | None, doc_id: str) -> Callable[[float, float], None] | None:
    """A recording's progress, told to the front end under its doc_id."""
    if transcribing is None:
        return None
    return lambda done, total: transcribing(doc_id, done, total)


def ingest_bytes(
    name: str,
    data: bytes,
    kb: KnowledgeBaseLike,
    kind: str | None = None,
    wait: float = 0.0,
    source_root: str | None = None,
    speaker_names: dict[str, str] | None = None,
) -> IngestReport:
    """Ingest one uploaded file (the API's and MCP's path); `name` is its doc_id. Holds the write lock like `kb ingest`.

    `source_root` is the folder a `kb ingest` that goes through the server read
    it from, so a later `--prune` of that folder knows the document. The name is
    checked here, so no way in (HTTP, MCP over HTTP or stdio) skips the check.
    """
    checked_doc_id(name, "name")
    if is_recording(name) and getattr(kb, "transcribes_here", False):
        stored = kb.document(name)
        if not stored or stored.content_hash != content_hash(data, Reading.of(kind, speaker_names)):
            with contextlib.suppress(KBError):  # refused again, and reported, under the lock
                transcribe(data, kb.settings)  # before the lock: other writers go on meanwhile
    with kb.writing(wait, "upload"):
        return _ingest_bytes(name, data, kb, Reading.of(kind, speaker_names), source_root)


def _ingest_bytes(name: str, data: bytes, kb: KnowledgeBaseLike, reading: Reading, source_root: str | None) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    _recover(kb, report)
    stored = kb.document(name)
    digest = content_hash(data, reading)
    if stored and stored.content_hash == digest:
        report.record(FileReport(doc_id=name, status="unchanged", kind=stored.kind, passages=stored.passages))
    else:
        item = PlannedFile(Source(name, Path(name), Path(source_root) if source_root else None), "updated" if stored else "added", digest)
        writer = kb.file_writer(lambda file: _parse(file, kb))
        _merge(report, writer.add(_incoming(item, data, reading)), None)
        _merge(report, writer.flush(), None)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _recover(kb: KnowledgeBaseLike, report: IngestReport) -> None:
    """A previous writer died mid-write: clean up what it left before planning (kb doctor --repair)."""
    report.notes.extend(f"previous write was interrupted: {line}" for line in kb.recover_interrupted())


def _plan(
    sources: list[Source], stored: dict, reading: Reading, max_bytes: SizeLimits, failures: Failures, looks: dict[str, Look], hashed: Hashed
) -> tuple[list[PlannedFile], list[FileReport]]:
    """What to do with each file, and the files that fail before reading; `looks` gets how each file looked
    (`Look`) and files `failures` knows unchanged are left out of both."""
    plan: list[PlannedFile] = []
    failed: list[FileReport] = []
    for source in sources:
        try:
            stat = source.path.stat()
            size = stat.st_size
            if failures.known(source.doc_id, stat):
                continue
            looks[source.doc_id] = (_looks(stat), None)
            if size > max_bytes.of(source.doc_id):
                failed.append(FileReport(doc_id=source.doc_id, status="failed", error=max_bytes.too_big(source.doc_id, size)))
                continue
            digest = hashed.get((source.doc_id, _looks(stat))) or _file_hash(source.path, reading)
        except OSError as exc:
            looks.pop(source.doc_id, None)  # may mend without a change: not remembered
            failed.append(FileReport(doc_id=source.doc_id, status="failed", error=_os_error(source.path, exc)))
            continue
        if failures.known(source.doc_id, None, digest):  # touched, not changed
            continue
        looks[source.doc_id] = (_looks(stat), digest)
        previous = stored.get(source.doc_id)
        if previous is None:
            plan.append(PlannedFile(source, "added", digest))
        elif previous.content_hash != digest:
            plan.append(PlannedFile(source, "updated", digest))
        else:
            plan.append(PlannedFile(source, "unchanged", digest, previous.passages, previous.kind))
    return plan, failed


def _stale(stored: dict, folders: list[Path], present: set[str]) -> list[str]:
    """Documents ingested from one of these folders whose files are gone."""
    roots = {str(folder) for folder in folders}
    return sorted(doc_id for doc_id, doc in stored.items() if doc.source_root in roots and doc_id not in present)


def _incoming(item: PlannedFile, data: bytes, reading: Reading) -> IncomingFile:
    root = str(item.source.root) if item.source.root else None
    return IncomingFile(item.source.doc_id, data, item.content_hash, item.status, reading.kind, dict(reading.speaker_names), root)


def _merge(report: IngestReport, part: IngestReport, progress: Progress | None) -> None:
    """What a file writer finished: its files' reports (each heard by the progress bar) and its notes."""
    report.notes.extend(part.notes)
    for file_report in part.files:
        _record(report, file_report, progress)


def _read_planned(item: PlannedFile, reading: Reading, limits: SizeLimits) -> bytes | FileReport:
    """Read the planned file again (it may have changed since planning); its hash follows its bytes."""
    try:
        with item.source.path.open("rb") as handle:
            data = handle.read(limits.of(item.source.doc_id) + 1)
    except OSError as exc:
        return FileReport(doc_id=item.source.doc_id, status="failed", error=_os_error(item.source.path, exc))
    if len(data) > limits.of(item.source.doc_id):  # it grew since planning
        return FileReport(doc_id=item.source.doc_id, status="failed", error=limits.too_big(item.source.doc_id, len(data)))
    item.content_hash = content_hash(data, reading)
    return data


def _parse(file: IncomingFile, kb: KnowledgeBaseLike, transcribing: Callable[[str, float, float], None] | None = None) -> DocumentWrite | FileReport:
    """A file's document (read, chunked to the model's token budget), or the file's failure, named and explained.

    A recording is transcribed here; `transcribing(doc_id, seconds done, seconds in all)` hears how far it got."""
    doc_id = file.doc_id
    heard = _heard(transcribing, doc_id)
    try:
        units = read_document(
            doc_id,
            file.data,
            file.kind,
            max_pdf_pages=kb.settings.max_pdf_pages,
            speaker_names=file.speaker_names,
            transcribe=lambda data: transcribe(data, kb.settings, heard),
        )
        budget = kb.token_budget()
        drafts = chunk_units(units, budget.count, budget.max_tokens, count_many=budget.count_many)
        if not drafts:
            raise ReadError("no text to index: add content or remove the file")
        if len(drafts) > kb.settings.max_passages:
            raise ReadError(
                f"it makes {len(drafts):,} passages, over the limit of {kb.settings.max_passages:,} per file (KB_MAX_PASSAGES): split it, or raise the limit"
            )
    except ReadError as exc:
        return FileReport(doc_id=doc_id, status="failed", error=f"{doc_id}: {exc}")
    except RecursionError:
        return FileReport(doc_id=doc_id, status="failed", error=f"{doc_id}: too deeply nested to parse: simplify the file")
    except KBError:
        raise  # the model or the store is unavailable: every file would fail the same way
    except Exception as exc:  # a parser library choked on input we did not foresee: report, go on
        return FileReport(
            doc_id=doc_id,
            status="failed",
            error=f"{doc_id}: could not be parsed ({exc.__class__.__name__}: {_one_line(exc)}): check the file, or convert it to .md/.txt",
        )
    metadata = {**units[0].metadata, "source_root": file.source_root}
    metadata["speakers"] = _speakers(units[0].metadata.get("speakers") or [], drafts)
    return DocumentWrite(doc_id, file.content_hash, metadata, drafts)


def _speakers(declared: list[str], drafts: list[PassageDraft]) -> list[str]:
    names = dict.fromkeys(declared)
    for draft in drafts:
        names.update(dict.fromkeys(draft.speakers))
    return list(names)


def _record(report: IngestReport, file_report: FileReport, progress: Progress | None) -> None:
    report.record(file_report)
    if progress:
        progress.file_done(file_report)


@dataclass
class SizeLimits:
    """Largest file `kb ingest` reads: written documents (KB_MAX_FILE_MB) and recordings, which are far bigger (KB_MAX_RECORDING_MB)."""

    text: int
    recording: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SizeLimits:
        return cls(int(settings.max_file_mb * (1 << 20)), int(settings.max_recording_mb * (1 << 20)))

    def of(self, doc_id: str) -> int:
        return self.recording if is_recording(doc_id) else self.text

    def too_big(self, doc_id: str, size: int) -> str:
        setting = "KB_MAX_RECORDING_MB" if is_recording(doc_id) else "KB_MAX_FILE_MB"
        limit = self.of(doc_id)
        return f"{doc_id}: {size / (1 << 20):.0f} MB is over the {limit / (1 << 20):g} MB limit per file ({setting}): split it, or raise the limit"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:160]


def _os_error(path: Path, exc: OSError) -> str:
    reason = exc.strerror or exc.__class__.__name__
    return f"{path}: cannot read ({reason}): check the file exists and is readable"
