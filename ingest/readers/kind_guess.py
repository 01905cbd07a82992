"""Guess a document's kind when neither --kind nor front matter says it."""

from __future__ import annotations

import re

_BOOK_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?(?:chapter|ch\.|part)\s+[\dIVXLC]+\b", re.I | re.M)
_BOOK_WORDS = re.compile(r"book[-_ ]?notes|reading[-_ ]?notes|\bnotes on\b", re.I)
# What notes say of themselves near the top ("# Notes", "My takeaways", "Highlights"), where a book says nothing of the kind.
_NOTES_WORDS = re.compile(r"\bnotes?\b|\btakeaways?\b|\bhighlights\b|\bkey ideas\b|\bmy summary\b", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+\S", re.M)
NOTES_HEAD_LINES = 15  # notes name themselves in their title or first lines
LIST_SHARE = 0.3  # or they are mostly lists: this share of their lines or more


def guess_kind(name: str, text: str, has_turns: bool, has_outline: bool = False) -> str:
    """Transcripts by their turns; book notes by their name, or by chapter headings with notes-like evidence; else essays.

    Chapter headings alone are a book's as much as its notes': a manual with "Chapter 1"
    and "Chapter 2" is no book notes. Notes call themselves notes (takeaways, highlights)
    near the top or are mostly lists. A PDF with its own outline (bookmarks) is a book or
    a paper laid out by its author unless it says the same of itself (a notes app's export
    keeps its headings as an outline).
    """
    if has_turns:
        return "transcript"
    if _BOOK_WORDS.search(name):
        return "book_notes"
    if has_outline or len(_BOOK_HEADING.findall(text)) >= 2:
        return "book_notes" if _notes_like(text) else "essay"
    return "essay"


def _notes_like(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    head = "\n".join(lines[:NOTES_HEAD_LINES])
    return bool(_NOTES_WORDS.search(head)) or len(_LIST_ITEM.findall(text)) >= LIST_SHARE * len(lines)
