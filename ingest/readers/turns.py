"""Speaker turns: what every transcript format is reduced to before chunking."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llama_index.core.schema import Document

# A plausible speaker label: 1-6 words, starting with a capital letter or digit-free
# title, no sentence punctuation. Long enough for "Industrial Designer" or
# "Dr. Maya Chen", short enough to reject "Note that the plan: ...".
SPEAKER = r"[A-Z][\w.'’\-]*(?: [A-Za-z][\w.'’\-]*){0,5}"
MAX_SPEAKER_CHARS = 80


@dataclass
class Turn:
    speaker: str | None
    text: str
    start: float | None = None
    end: float | None = None
    # (word index in text, seconds) where each caption cue of a merged turn began: a quote from the
    # middle of a ten-minute turn gets its own time, not the turn's.
    marks: list[tuple[int, float]] = field(default_factory=list)


def clock_to_seconds(clock: str) -> float:
    """'1:02:03', '02:03' or '01:02:03.500' -> seconds."""
    parts = clock.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def merge_same_speaker(turns: list[Turn]) -> list[Turn]:
    """Join consecutive turns of one speaker (subtitle cues split sentences mid-way)."""
    merged: list[Turn] = []
    for turn in turns:
        if merged and turn.speaker == merged[-1].speaker:
            last = merged[-1]
            if turn.start is not None and turn.text.strip():
                last.marks.append((len(last.text.split()), turn.start))
            last.text = f"{last.text} {turn.text}".strip()
            last.end = turn.end if turn.end is not None else last.end
        else:
            marks = [(0, turn.start)] if turn.start is not None else []
            merged.append(Turn(turn.speaker, turn.text.strip(), turn.start, turn.end, marks))
    return [t for t in merged if t.text]


def turns_to_documents(turns: list[Turn], metadata: dict) -> list[Document]:
    """One llama-index Document per turn, carrying the file's metadata and the turn's."""
    speakers = metadata.get("speakers") or _unique(t.speaker for t in turns if t.speaker)
    base = {**metadata, "speakers": speakers, "unit": "turn"}
    return [
        Document(
            text=turn.text,
            metadata={
                **base,
                "speaker": turn.speaker,
                "start_seconds": turn.start,
                "end_seconds": turn.end,
                "turn": index,
                "cue_marks": [float(value) for mark in turn.marks for value in mark] if len(turn.marks) > 1 else [],
            },
        )
        for index, turn in enumerate(turns)
    ]


def _unique(names) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return list(seen)


def clean_speaker(name: str) -> str:
    """Tidy a label; ALL-CAPS captions ("MAYA CHEN") become "Maya Chen"."""
    name = re.sub(r"\s+", " ", name).strip(" -:>[]")
    if name.isupper() and len(name) > 3:
        name = name.title()
    return name[:MAX_SPEAKER_CHARS]
