"""The contract's values (shared CONTRACT.md), each defined once.

Pydantic fields, CLI options, error messages, the readers and the search page
(through `GET /v1/contract`) all read them from here, so a bound or a list can
change in one place without the layers drifting apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Literal, get_args

Kind = Literal["essay", "transcript", "book_notes"]
KINDS: tuple[str, ...] = get_args(Kind)
KIND_LABELS = {"essay": "essays", "transcript": "panel transcripts", "book_notes": "book notes"}

# How `ask` writes an answer: quoting passages (no model), through the team's LLM (verified), or generative when
# KB_LLM_URL is set. AnswerMode is what produced a given answer.
AskMode = Literal["auto", "extractive", "generative"]
ASK_MODES: tuple[str, ...] = get_args(AskMode)
AnswerMode = Literal["extractive", "generative"]
# How search ranks: meaning and keywords fused (the default), meaning alone, or keywords (BM25) alone.
SearchMode = Literal["hybrid", "dense", "sparse"]

# File suffix -> the reader's format name (ingest/readers picks a reader by it).
RECORDINGS = (".mp3", ".m4a", ".wav", ".ogg", ".flac", ".mp4", ".webm", ".mkv")  # transcribed on ingest (the `audio` extra)
FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".pdf": "pdf",
    ".vtt": "vtt",
    ".srt": "srt",
    **dict.fromkeys(RECORDINGS, "recording"),
}
SUPPORTED = ", ".join(sorted(FORMATS))  # for messages: ".markdown, .md, .pdf, ..."


def is_recording(name: str) -> bool:
    """Audio or video, by its name's suffix."""
    return name.lower().endswith(RECORDINGS)


@dataclass(frozen=True)
class Bounds:
    """An integer setting's allowed range and default."""

    low: int
    high: int
    default: int

    def holds(self, value: int) -> bool:
        return self.low <= value <= self.high


TOP_K = Bounds(1, 50, 5)  # passages a search returns, citations an answer may use
MAX_WORDS = Bounds(20, 400, 120)  # an answer's words, [n] markers not counted
PASSAGE_PAGE = Bounds(1, 500, 100)  # passages per page of GET /v1/documents/{doc_id}/passages
MAX_PASSAGE_OFFSET = 1_000_000_000  # far past any document's passages, and inside the store's integers (Chroma refused 2**64)
MAX_SPEAKER_CHARS = 80  # a longer "label" before a colon is a sentence, not a name (front matter included)


def version() -> str:
    """The installed package's version (pyproject.toml is its one source)."""
    try:
        return metadata.version("panel-kb")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"
