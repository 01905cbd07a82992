"""The [n] markers an answer cites passages with: whatever composed the text, each must point into its citations."""

from __future__ import annotations

import re

from kb.models import Passage

MARKER = re.compile(r"\s*\[(\d+)\]")


def keep_valid_markers(answer: str, citations: list[Passage]) -> str:
    """Remove any [n] that does not point into `citations` (a composer must never invent one)."""
    valid = {p.n for p in citations}
    return MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", answer)


def count_words(answer: str) -> int:
    """Words of an answer, [n] markers not counted."""
    return len(MARKER.sub(" ", answer).split())
