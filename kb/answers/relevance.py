"""Is anything stored close enough to the question to answer from, and what an answer says when not."""

from __future__ import annotations

from kb.models import Passage

# Best passage-to-question cosine (the encoder's) below which we say nothing relevant is stored
# (calibrated on corpus/questions.jsonl and QMSum vs off-topic questions: benchmarks/README.md).
RELEVANCE_THRESHOLD = 0.25
NOTHING_RELEVANT = "I found nothing in the knowledge base that answers this directly. The nearest passages are listed as related."


def any_relevant(passages: list[Passage]) -> bool:
    """Is any passage close enough in meaning to the question (RELEVANCE_THRESHOLD) to answer from?"""
    return max((p.dense_score or 0.0 for p in passages), default=0.0) >= RELEVANCE_THRESHOLD


def nothing_from(speaker: str) -> str:
    """The plain answer when a speaker asked about never addressed the question."""
    return f"{speaker} does not address this in the stored passages. The nearest passages where {speaker} speaks are listed as related."
