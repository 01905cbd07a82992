"""Readers: one per format, each turning a file into llama-index Documents.

A file becomes a list of *units* sharing the file's metadata (title, kind,
author, date, url, speakers): speaker turns for transcripts, pages for PDFs,
the whole body for Markdown and plain text. `unit` in the metadata tells the
chunker which shape it has.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from llama_index.core.schema import Document

from ingest.errors import ReadError
from ingest.readers.front_matter import split_front_matter
from ingest.readers.kind_guess import guess_kind
from ingest.readers.pdf_pages import read_pdf_pages
from ingest.readers.recordings import Transcribe, read_recording
from ingest.readers.speaker_text import looks_like_speaker_text, parse_speaker_text
from ingest.readers.subtitles import parse_srt, parse_vtt
from ingest.readers.text_decoding import decode_text
from ingest.readers.turns import complete_first_names, rename_speakers, restore_name_case, turns_to_documents
from kb.contract import FORMATS, KINDS, SUPPORTED


def supported(path: Path) -> bool:
    return path.suffix.lower() in FORMATS


def read_document(
    name: str,
    data: bytes,
    kind: str | None = None,
    max_pdf_pages: int | None = None,
    speaker_names: dict[str, str] | None = None,
    transcribe: Transcribe | None = None,
) -> list[Document]:
    """Parse one file's bytes. `name` is its doc_id (its suffix picks the format).

    `speaker_names` maps transcript labels to people ("SPEAKER_00" -> "Maya Chen");
    a text file's front matter can map them too (it wins for its own file).
    `transcribe` turns a recording's bytes into timed segments (audio and video files).
    Raises ReadError with a message that says what is wrong and what to do.
    """
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None:
        raise ReadError(f"unsupported file type '{Path(name).suffix}': use one of {SUPPORTED}")
    if not data.strip():
        raise ReadError("the file is empty: add content or remove it")
    if fmt == "pdf":
        return _read_pdf(name, data, kind, max_pdf_pages)
    if fmt == "recording":
        return read_recording(data, _metadata(name, "recording", {}, kind or "transcript", None), transcribe)
    text = decode_text(data)
    if fmt in ("vtt", "srt"):
        turns = parse_vtt(text) if fmt == "vtt" else parse_srt(text)
        if not turns:
            raise ReadError(f"no cues with text found: check the {fmt.upper()} file has timed cues")
        restore_name_case(turns)
        rename_speakers(turns, speaker_names or {})
        complete_first_names(turns)
        return turns_to_documents(turns, _metadata(name, fmt, {}, kind or "transcript", None))
    front, body = split_front_matter(text)
    if not body.strip():
        raise ReadError("no text after the front matter: add the document's body")
    forced = kind or front.get("kind")
    if forced and forced not in KINDS:
        raise ReadError(f"kind '{forced}' is not one of {', '.join(KINDS)}: fix the front matter 'kind' or --kind")
    is_turns = (forced in (None, "transcript")) and looks_like_speaker_text(body)
    resolved = forced or guess_kind(name, body, is_turns)
    title = front.get("title") or (_first_heading(body) if fmt == "markdown" else None)
    metadata = _metadata(name, fmt, front, resolved, title)
    if is_turns:
        turns = parse_speaker_text(body)
        restore_name_case(turns)
        rename_speakers(turns, {**(speaker_names or {}), **front.get("speaker_names", {})})
        complete_first_names(turns)
        return turns_to_documents(turns, metadata)
    unit = "markdown" if fmt == "markdown" else "text"
    return [Document(text=body.strip(), metadata={**metadata, "unit": unit})]


def _read_pdf(name: str, data: bytes, kind: str | None, max_pages: int | None) -> list[Document]:
    pages, pdf_title, sections = read_pdf_pages(data, max_pages)
    joined = "\n".join(text for _, text in pages[:20])
    resolved = kind or guess_kind(name, joined, False, has_outline=bool(sections))
    metadata = _metadata(name, "pdf", {}, resolved, pdf_title)
    pages = [(number, _drop_title_line(text, metadata["title"])) for number, text in pages]
    return [
        Document(text=text, metadata={**metadata, "unit": "page", "page": number, **({"section": sections[number]} if number in sections else {})})
        for number, text in pages
        if text
    ]


def _drop_title_line(text: str, title: str) -> str:
    """A page that opens with the document's title: the title is already the passage header."""
    first, _, rest = text.partition("\n")
    return rest.strip() if first.strip().lower() == title.strip().lower() else text


def _metadata(name: str, fmt: str, front: dict, kind: str, title: str | None) -> dict:
    return {
        "title": title or front.get("title") or _title_from_name(name),
        "kind": kind,
        "author": front.get("author"),
        "date": front.get("date"),
        "url": front.get("url"),
        "speakers": front.get("speakers") or [],
        "people": json.dumps(front["people"], ensure_ascii=False, sort_keys=True) if front.get("people") else None,
        "format": fmt,
    }


def _first_heading(body: str) -> str | None:
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", body, re.M)
    return match.group(1).strip() if match else None


def _title_from_name(name: str) -> str:
    stem = Path(name).stem
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else name
