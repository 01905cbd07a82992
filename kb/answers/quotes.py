"""A quoted unit as the contract's `Quote`: its words, speaker, own time and span in the passage's text."""

from __future__ import annotations

from kb.answers.units import Sentence
from kb.models import Passage, Quote
from kb.text.quote_spans import quote_span
from kb.text.timecodes import seconds_to_clock


def quote_of(unit: Sentence, passage: Passage) -> Quote:
    """How a citation shows a unit it quotes; the span lets a client highlight the clean-verbatim words in the verbatim text."""
    span = quote_span(passage.text, unit.line, unit.text)
    return Quote(text=unit.text, speaker=unit.speaker, start=seconds_to_clock(unit.seconds), span=list(span) if span else None)
