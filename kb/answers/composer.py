"""The one shape an answer writer has, so the extractive composer can be swapped for another (a test's, a learned one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from kb.models import Passage


class Composer(Protocol):
    """Writes an answer from the passages a question found: (text with [n] markers, the passages it cites,
    renumbered 1.. with their quotes), or ("", []) when nothing there answers."""

    def compose(
        self,
        question: str,
        passages: list[Passage],
        max_words: int,
        max_citations: int = 5,
        speaker: str | None = None,
        elsewhere: Callable[[str], list[Passage]] | None = None,
    ) -> tuple[str, list[Passage]]: ...
