"""What the readers make of a folder of files: kind, speakers, turns, time covered, PDF noise left.

For every supported file: the kind detected, how many distinct speakers and
turns (transcripts), the time its turns cover, and for PDFs the share of pages
that still carry a line repeated at the edges of most pages of the raw text
layer (a running header or footer the clean-up missed; 0 is the goal). Files
that fail to read are listed with the reader's message.

Run: `.venv/bin/python benchmarks/reader_report.py FOLDER [FOLDER ...]`
(e.g. `corpus/`); with no argument, the corpus and, when present, QMSum val
written as speaker-labelled text.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, print_table  # noqa: E402
from ingest.errors import ReadError  # noqa: E402
from ingest.readers import read_document  # noqa: E402
from ingest.readers.pdf_cleanup import EDGE_LINES, RUNNING_SHARE, line_shape  # noqa: E402
from ingest.sources import discover  # noqa: E402
from kb.text.timecodes import seconds_to_clock  # noqa: E402


def raw_running_lines(data: bytes) -> set[str]:
    """Lines (numbers blanked) at the edges of most pages of the PDF's raw text layer."""
    from pypdf import PdfReader

    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    counts: dict[str, int] = {}
    for text in pages:
        lines = [line for line in text.splitlines() if line.strip()]
        for shape in {line_shape(line) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]}:
            counts[shape] = counts.get(shape, 0) + 1
    return {shape for shape, n in counts.items() if len(pages) >= 3 and n >= max(3, RUNNING_SHARE * len(pages)) and len(shape.strip("# ")) > 3}


def report_row(doc_id: str, data: bytes) -> list[str]:
    try:
        units = read_document(doc_id, data)
    except ReadError as error:
        return [doc_id, "failed", "", "", "", str(error)[:60]]
    meta = units[0].metadata
    kind = meta["kind"]
    if meta.get("unit") == "turn":
        speakers = {u.metadata["speaker"] for u in units if u.metadata["speaker"]}
        starts = [u.metadata["start_seconds"] for u in units if u.metadata["start_seconds"] is not None]
        covered = f"{seconds_to_clock(min(starts))}-{seconds_to_clock(max(starts))}" if starts else "no times"
        return [doc_id, kind, str(len(speakers)), str(len(units)), covered, ""]
    if meta.get("format") == "pdf":
        running = raw_running_lines(data)
        noisy = sum(any(line_shape(line) in running for line in u.text.splitlines()) for u in units)
        return [doc_id, kind, "", f"{len(units)} pages", "", f"{noisy / len(units):.0%} pages with running lines left ({len(running)} found raw)"]
    return [doc_id, kind, "", "", "", ""]


def report(folder: Path, title: str) -> None:
    discovered = discover([folder])
    rows = [report_row(source.doc_id, source.path.read_bytes()) for source in sorted(discovered.sources, key=lambda s: s.doc_id)]
    print_table(title, ["file", "kind", "speakers", "turns", "time covered", "notes"], rows)
    if discovered.skipped:
        print(f"skipped (no reader for the type): {', '.join(discovered.skipped)}")


def main() -> None:
    folders = [Path(arg) for arg in sys.argv[1:]]
    for folder in folders or [REPO / "corpus"]:
        report(folder, f"Readers on {folder}")
    if not folders:
        from benchmarks.qmsum_eval import DATA, load_meetings, write_transcripts

        if DATA.is_dir():
            with tempfile.TemporaryDirectory() as tmp:
                write_transcripts(load_meetings(), Path(tmp))
                report(Path(tmp), "Readers on QMSum val (speaker-labelled text)")


if __name__ == "__main__":
    main()
