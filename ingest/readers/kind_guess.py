"""Guess a document's kind when neither --kind nor front matter says it."""

from __future__ import annotations

import re

_BOOK_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?(?:chapter|ch\.|part)\s+[\dIVXLC]+\b", re.I | re.M)
_BOOK_WORDS = re.compile(r"book[-_ ]?notes|reading[-_ ]?notes|\bnotes on\b", re.I)


def guess_kind(name: str, text: str, has_turns: bool) -> str:
    """Transcripts by their turns; book notes by chapter headings or their name; else essays."""
    if has_turns:
        return "transcript"
    if _BOOK_WORDS.search(name) or len(_BOOK_HEADING.findall(text)) >= 2:
        return "book_notes"
    return "essay"
