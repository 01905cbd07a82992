"""Files written into a store this process opened: parsed one at a time, stored together in large batches.

Embedding many documents' passages in one call keeps every core busy, and one
large upsert costs far less than many small ones; memory stays bounded by
FLUSH_PASSAGES, whatever the corpus size. A batch the store refuses fails its
files with the reason, and what was stored before stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kb.errors import KBError
from kb.models import FileReport, IngestReport
from kb.store.drafts import DocumentWrite, IncomingFile, Parser

# Passages parsed and waiting before they are embedded and stored together.
FLUSH_PASSAGES = 512


class WriteBatch:
    """`KnowledgeBase.file_writer`: `parse` reads each file (ingest's readers), `write` stores documents atomically."""

    def __init__(self, parse: Parser, write: Callable[[Sequence[DocumentWrite]], None]) -> None:
        self.parse, self.write = parse, write
        self.pending: list[tuple[str, DocumentWrite]] = []  # (status, document)

    def add(self, file: IncomingFile) -> IngestReport:
        """Parse the file now; store it with others once FLUSH_PASSAGES passages wait (reports: the files finished)."""
        parsed = self.parse(file)
        if isinstance(parsed, FileReport):
            return _report([parsed])
        self.pending.append((file.status, parsed))
        if sum(len(write.drafts) for _, write in self.pending) >= FLUSH_PASSAGES:
            return self.flush()
        return IngestReport()

    def flush(self) -> IngestReport:
        """Store every waiting document; each file's report says whether it went in."""
        if not self.pending:
            return IngestReport()
        error = None
        try:
            self.write([write for _, write in self.pending])
        except KBError as exc:
            error = exc.message
        except Exception as exc:  # the store refused the write: report it, keep what was stored
            error = f"the store refused the write ({exc.__class__.__name__}: {str(exc)[:200]}); nothing of this file changed, run the ingest again"
        reports = [
            FileReport(doc_id=write.doc_id, status="failed", error=f"{write.doc_id}: {error}", retry=True)
            if error
            else FileReport(doc_id=write.doc_id, status=status, kind=write.metadata["kind"], passages=len(write.drafts))
            for status, write in self.pending
        ]
        self.pending = []
        return _report(reports)


def _report(files: list[FileReport]) -> IngestReport:
    report = IngestReport()
    for file in files:
        report.record(file)
    return report
