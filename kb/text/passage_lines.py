"""A passage's text lines as spoken turns: transcript passages store one `Name: text` line per turn.

Shared by the answer composer (who said a sentence) and the document view (the
transcript as turns with their times), so both read a line the same way.
"""

from __future__ import annotations

from kb.models import Turn
from kb.text.timecodes import seconds_to_clock


def speaker_of(line: str, speakers: list[str]) -> tuple[str | None, str]:
    """(the speaker who opens the line, the words after `Name: `), or (None, line) for a line that names nobody."""
    for name in speakers:
        if line.startswith(f"{name}: "):
            return name, line[len(name) + 2 :]
    return None, line


def turns(text: str, speakers: list[str], line_starts: list[float]) -> list[Turn]:
    """Each line of a transcript passage as a turn, with the line's own start time when stored."""
    lines = text.split("\n")
    starts: list[float | None] = list(line_starts) if len(line_starts) == len(lines) else [None] * len(lines)
    out = []
    for line, start in zip(lines, starts):
        speaker, words = speaker_of(line, speakers)
        out.append(Turn(speaker=speaker, start=seconds_to_clock(start), text=words))
    return out
