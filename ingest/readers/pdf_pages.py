"""PDF text per page through pypdf; page numbers are 1-based; the outline (bookmarks) gives sections."""

from __future__ import annotations

import io
import logging
import re

from ingest.errors import ReadError
from ingest.readers.pdf_cleanup import clean_pages


def read_pdf_pages(data: bytes, max_pages: int | None = None) -> tuple[list[tuple[int, str]], str | None, dict[int, str]]:
    """Return ([(page number, text)] for pages with text, the PDF's own title, {page: outline section}).

    The text is cleaned of running headers and footers, line-end hyphens and
    contents lines (ingest/readers/pdf_cleanup.py).

    `max_pages` is checked before any text is extracted: a 19 KB PDF whose page
    tree lists one page 3,000 times would otherwise become 3,000 passages.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))  # many PDFs are "encrypted" with an empty user password
            except Exception:
                opened = False
            if not opened:
                raise ReadError("the PDF is encrypted with a password: save an unencrypted copy and ingest that")
        if max_pages is not None and len(reader.pages) > max_pages:
            raise ReadError(
                f"the PDF has {len(reader.pages):,} pages, over the limit of {max_pages:,} per file (KB_MAX_PDF_PAGES): split it, or raise the limit"
            )
        pages = [(number, (page.extract_text() or "").strip()) for number, page in enumerate(reader.pages, start=1)]
        title = (reader.metadata.title if reader.metadata else None) or None
        sections = _sections(reader, len(reader.pages))
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReadError(f"unreadable PDF ({exc.__class__.__name__}: {str(exc)[:120]}): re-export it from its source") from None
    pages = clean_pages([(number, _drop_page_numbers(text)) for number, text in pages])
    if not pages:
        raise ReadError("the PDF has no extractable text (scanned images?): run OCR on it first, or ingest a text version")
    return pages, (str(title).strip() or None) if title else None, sections


def _sections(reader, page_count: int) -> dict[int, str]:
    """For each page, the outline's heading path in effect there ("2 Design > 2.1 Interfaces"); {} without an outline."""
    marks: list[tuple[int, str]] = []

    def walk(items: list, trail: list[str]) -> None:
        last = None
        for item in items:
            if isinstance(item, list):  # children follow their parent
                walk(item, [*trail, last] if last else trail)
                continue
            try:
                page = reader.get_destination_page_number(item) + 1
            except Exception:  # a bookmark pointing nowhere: skip it
                continue
            last = " ".join(str(item.title).split())[:200]
            if last and 1 <= page <= page_count:
                marks.append((page, " > ".join([*trail, last])))

    try:
        walk(reader.outline, [])
    except Exception:  # a broken outline is no reason to refuse the text
        return {}
    marks.sort(key=lambda mark: mark[0])  # stable: same-page headings keep their order, the last one wins
    sections: dict[int, str] = {}
    current, index = None, 0
    for number in range(1, page_count + 1):
        while index < len(marks) and marks[index][0] <= number:
            current = marks[index][1]
            index += 1
        if current:
            sections[number] = current
    return sections


_PAGE_NUMBER_LINE = re.compile(r"^\s*(?:page\s+)?[-–]?\s*\d{1,5}\s*[-–]?(?:\s*(?:of|/)\s*\d{1,5})?\s*$", re.I)


def _drop_page_numbers(text: str) -> str:
    """Running footers like "page 3", "- 3 -" or "3 of 12" are not part of the prose."""
    return "\n".join(line for line in text.splitlines() if not _PAGE_NUMBER_LINE.match(line)).strip()
