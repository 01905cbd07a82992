"""An answer scoped to one speaker ("what did Maya Chen say ...", or a speaker filter) quotes only their units."""

from __future__ import annotations

from kb.answers.units import Sentence


def spoken_by(units: list[Sentence], speaker: str) -> list[Sentence]:
    """The units this speaker said (names compared without case)."""
    return [unit for unit in units if unit.speaker and unit.speaker.casefold() == speaker.casefold()]
