"""Idempotent ingest: plan every file by content hash first, then apply the plan.

Unchanged files cost a hash. A changed file is re-read, re-chunked and swapped
in atomically by `KnowledgeBase.write_documents` (in batches of files). One bad file is reported with
its reason and the rest still go in.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ingest.chunking import chunk_units
from ingest.errors import ReadError
from ingest.readers import read_document
from ingest.sources import Source, discover
from kb import KnowledgeBase
from kb.contract import SUPPORTED
from kb.errors import KBError, StoreUnavailable
from kb.models import FileReport, IngestReport
from kb.passage_draft import PassageDraft
from kb.records import DocumentWrite
from kb.remote import RemoteKnowledgeBase

# Bump when readers, chunkers or the embedder change what a file turns into: every file re-ingests once.
# 4: every text embedded alone (its vector no longer depends on its batch-mates). 5: caption cue times kept per word.
# 6: diarizer and export label styles, sound tags, PDF headers/footers/hyphens/contents, PDF outline sections.
PIPELINE_VERSION = "6"
# Passages parsed and waiting before they are embedded and stored together.
FLUSH_PASSAGES = 512


class Progress(Protocol):
    """What a front end (the CLI's progress bar) hears while an ingest runs."""

    def planned(self, to_write: int, total: int) -> None: ...

    def file_done(self, report: FileReport) -> None: ...


@dataclass
class PlannedFile:
    source: Source
    status: str  # added | updated | unchanged
    content_hash: str
    passages: int = 0
    kind: str | None = None


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
    kb: KnowledgeBase | RemoteKnowledgeBase,
    kind: str | None = None,
    dry_run: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    wait: float = 0.0,
    speaker_names: dict[str, str] | None = None,
) -> IngestReport:
    """Ingest files and folders into `kb`; the report says what happened to each file.

    A real run holds the store's write lock throughout (StoreBusy after `wait`
    seconds if another writer has it); a dry run only reads. A store that
    `kb serve` owns (`kb.remote`) gets each changed file uploaded to the server,
    which reads, chunks and writes it under its own lock.
    """
    reading = Reading.of(kind, speaker_names)
    if dry_run or isinstance(kb, RemoteKnowledgeBase):
        return _ingest_paths(paths, kb, reading, dry_run, prune, progress)
    with kb.writing(wait, "ingest"):
        return _ingest_paths(paths, kb, reading, dry_run, prune, progress)


def _ingest_paths(
    paths: list[Path], kb: KnowledgeBase | RemoteKnowledgeBase, reading: Reading, dry_run: bool, prune: bool, progress: Progress | None
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(dry_run=dry_run)
    if not dry_run and isinstance(kb, KnowledgeBase):
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
    max_bytes = int(kb.settings.max_file_mb * (1 << 20))
    plan, unreadable = _plan(sources, stored, reading, max_bytes)
    stale = _stale(stored, discovered.folders, {s.doc_id for s in sources}) if prune else []
    if progress:
        progress.planned(sum(p.status != "unchanged" for p in plan) + len(stale), len(plan) + len(stale) + len(unreadable))
    for failed in unreadable:
        _record(report, failed, progress)
    batch: _Uploads | _WriteBatch
    if isinstance(kb, RemoteKnowledgeBase) and not dry_run:
        batch = _Uploads(kb, reading, report, progress)
    else:
        batch = _WriteBatch(kb, reading, dry_run, report, progress)
    for item in plan:
        if item.status == "unchanged":
            _record(report, FileReport(doc_id=item.source.doc_id, status="unchanged", kind=item.kind, passages=item.passages), progress)
            continue
        data = _read_planned(item, reading, max_bytes)
        if isinstance(data, FileReport):
            _record(report, data, progress)
        else:
            batch.add(item, data)
    batch.flush()
    for doc_id in stale:
        if not dry_run:
            kb.delete(doc_id)
        _record(report, FileReport(doc_id=doc_id, status="removed", kind=stored[doc_id].kind, passages=stored[doc_id].passages), progress)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def ingest_bytes(
    name: str,
    data: bytes,
    kb: KnowledgeBase,
    kind: str | None = None,
    wait: float = 0.0,
    source_root: str | None = None,
    speaker_names: dict[str, str] | None = None,
) -> IngestReport:
    """Ingest one uploaded file (the API's path); `name` is its doc_id. Holds the write lock like `kb ingest`.

    `source_root` is the folder a `kb ingest` that goes through the server read
    it from, so a later `--prune` of that folder knows the document.
    """
    with kb.writing(wait, "upload"):
        return _ingest_bytes(name, data, kb, Reading.of(kind, speaker_names), source_root)


def _ingest_bytes(name: str, data: bytes, kb: KnowledgeBase, reading: Reading, source_root: str | None) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    _recover(kb, report)
    stored = kb.document(name)
    digest = content_hash(data, reading)
    if stored and stored.content_hash == digest:
        report.record(FileReport(doc_id=name, status="unchanged", kind=stored.kind, passages=stored.passages))
    else:
        item = PlannedFile(Source(name, Path(name), Path(source_root) if source_root else None), "updated" if stored else "added", digest)
        batch = _WriteBatch(kb, reading, False, report, None)
        batch.add(item, data)
        batch.flush()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _recover(kb: KnowledgeBase, report: IngestReport) -> None:
    """A previous writer died mid-write: clean up what it left before planning (kb doctor --repair)."""
    report.notes.extend(f"previous write was interrupted: {line}" for line in kb.recover_interrupted())


def _plan(sources: list[Source], stored: dict, reading: Reading, max_bytes: int) -> tuple[list[PlannedFile], list[FileReport]]:
    plan: list[PlannedFile] = []
    failed: list[FileReport] = []
    for source in sources:
        try:
            size = source.path.stat().st_size
            if size > max_bytes:
                failed.append(FileReport(doc_id=source.doc_id, status="failed", error=_too_big(source.doc_id, size, max_bytes)))
                continue
            digest = _file_hash(source.path, reading)
        except OSError as exc:
            failed.append(FileReport(doc_id=source.doc_id, status="failed", error=_os_error(source.path, exc)))
            continue
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


class _WriteBatch:
    """Parses files and stores them together once enough passages wait.

    Embedding many documents' passages in one call keeps every core busy, and
    one large upsert costs far less than many small ones;
    memory stays bounded by FLUSH_PASSAGES, whatever the corpus size.
    """

    def __init__(
        self, kb: KnowledgeBase | RemoteKnowledgeBase, reading: Reading, dry_run: bool, report: IngestReport, progress: Progress | None
    ) -> None:
        self.kb, self.reading, self.dry_run, self.report, self.progress = kb, reading, dry_run, report, progress
        self.pending: list[tuple[PlannedFile, DocumentWrite]] = []

    def add(self, item: PlannedFile, data: bytes) -> None:
        write = _parse(item, data, self.kb, self.reading)
        if isinstance(write, FileReport):
            _record(self.report, write, self.progress)
            return
        self.pending.append((item, write))
        if sum(len(w.drafts) for _, w in self.pending) >= FLUSH_PASSAGES:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        error = None
        if not self.dry_run:
            assert isinstance(self.kb, KnowledgeBase)  # a served store's files are uploaded (_Uploads), never written here
            try:
                self.kb.write_documents([write for _, write in self.pending])
            except KBError as exc:
                error = exc.message
            except Exception as exc:  # the store refused the write: report it, keep what was stored
                error = (
                    f"the store refused the write ({exc.__class__.__name__}: {str(exc)[:200]}); nothing of this file changed, run the ingest again"
                )
        for item, write in self.pending:
            if error:
                status = FileReport(doc_id=write.doc_id, status="failed", error=f"{write.doc_id}: {error}")
            else:
                status = FileReport(doc_id=write.doc_id, status=item.status, kind=write.metadata["kind"], passages=len(write.drafts))
            _record(self.report, status, self.progress)
        self.pending = []


class _Uploads:
    """Sends each changed file to the `kb serve` that owns the store; its answer is the file's report."""

    def __init__(self, kb: RemoteKnowledgeBase, reading: Reading, report: IngestReport, progress: Progress | None) -> None:
        self.kb, self.reading, self.report, self.progress = kb, reading, report, progress

    def add(self, item: PlannedFile, data: bytes) -> None:
        root = str(item.source.root) if item.source.root else None
        try:
            answer = self.kb.upload(item.source.doc_id, data, self.reading.kind, source_root=root, speaker_names=dict(self.reading.speaker_names))
        except StoreUnavailable:
            raise  # the server is gone: every file would fail the same way
        except KBError as exc:
            _record(self.report, FileReport(doc_id=item.source.doc_id, status="failed", error=exc.message), self.progress)
            return
        self.report.notes.extend(answer.notes)
        for file_report in answer.files:
            _record(self.report, file_report, self.progress)

    def flush(self) -> None:
        """Every upload was answered when it was sent."""


def _read_planned(item: PlannedFile, reading: Reading, max_bytes: int) -> bytes | FileReport:
    """Read the planned file again (it may have changed since planning); its hash follows its bytes."""
    try:
        with item.source.path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return FileReport(doc_id=item.source.doc_id, status="failed", error=_os_error(item.source.path, exc))
    if len(data) > max_bytes:  # it grew since planning
        return FileReport(doc_id=item.source.doc_id, status="failed", error=_too_big(item.source.doc_id, len(data), max_bytes))
    item.content_hash = content_hash(data, reading)
    return data


def _parse(item: PlannedFile, data: bytes, kb: KnowledgeBase | RemoteKnowledgeBase, reading: Reading) -> DocumentWrite | FileReport:
    doc_id = item.source.doc_id
    try:
        units = read_document(doc_id, data, reading.kind, max_pdf_pages=kb.settings.max_pdf_pages, speaker_names=dict(reading.speaker_names))
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
    metadata = {**units[0].metadata, "source_root": str(item.source.root) if item.source.root else None}
    metadata["speakers"] = _speakers(units[0].metadata.get("speakers") or [], drafts)
    return DocumentWrite(doc_id, item.content_hash, metadata, drafts)


def _speakers(declared: list[str], drafts: list[PassageDraft]) -> list[str]:
    names = dict.fromkeys(declared)
    for draft in drafts:
        names.update(dict.fromkeys(draft.speakers))
    return list(names)


def _record(report: IngestReport, file_report: FileReport, progress: Progress | None) -> None:
    report.record(file_report)
    if progress:
        progress.file_done(file_report)


def _too_big(doc_id: str, size: int, max_bytes: int) -> str:
    return (
        f"{doc_id}: {size / (1 << 20):.0f} MB is over the {max_bytes / (1 << 20):g} MB limit per file (KB_MAX_FILE_MB): split it, or raise the limit"
    )


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:160]


def _os_error(path: Path, exc: OSError) -> str:
    reason = exc.strerror or exc.__class__.__name__
    return f"{path}: cannot read ({reason}): check the file exists and is readable"
