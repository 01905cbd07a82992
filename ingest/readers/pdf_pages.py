"""PDF text per page through pypdf; page numbers are 1-based."""

from __future__ import annotations

import io
import logging
import re

from ingest.errors import ReadError


def read_pdf_pages(data: bytes, max_pages: int | None = None) -> tuple[list[tuple[int, str]], str | None]:
    """Return ([(page number, text)] for pages with text, the PDF's own title).

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
                opened = reader.decrypt("")  # many PDFs are "encrypted" with an empty user password
            except Exception:
                opened = 0
            if not opened:
                raise ReadError("the PDF is encrypted with a password: save an unencrypted copy and ingest that")
        if max_pages is not None and len(reader.pages) > max_pages:
            raise ReadError(f"the PDF has {len(reader.pages):,} pages, over the limit of {max_pages:,} per file (KB_MAX_PDF_PAGES): split it, or raise the limit")
        pages = [(number, (page.extract_text() or "").strip()) for number, page in enumerate(reader.pages, start=1)]
        title = (reader.metadata.title if reader.metadata else None) or None
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReadError(f"unreadable PDF ({exc.__class__.__name__}: {str(exc)[:120]}): re-export it from its source") from None
    pages = [(number, _drop_page_numbers(text)) for number, text in pages]
    pages = [(number, text) for number, text in pages if text]
    if not pages:
        raise ReadError("the PDF has no extractable text (scanned images?): run OCR on it first, or ingest a text version")
    return pages, (str(title).strip() or None) if title else None


_PAGE_NUMBER_LINE = re.compile(r"^\s*(?:page\s+)?[-–]?\s*\d{1,5}\s*[-–]?(?:\s*(?:of|/)\s*\d{1,5})?\s*$", re.I)


def _drop_page_numbers(text: str) -> str:
    """Running footers like "page 3", "- 3 -" or "3 of 12" are not part of the prose."""
    return "\n".join(line for line in text.splitlines() if not _PAGE_NUMBER_LINE.match(line)).strip()
