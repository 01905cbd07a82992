"""Speaker-labelled text: `Maya Chen: ...` or `[00:12:31] Maya Chen: ...`, a turn per line or paragraph."""

from __future__ import annotations

import re

from ingest.readers.turns import SPEAKER, Turn, clean_speaker, clock_to_seconds

CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
LABELLED_LINE = re.compile(
    rf"^\s*(?:[\[(]?(?P<clock>{CLOCK})[\])]?\s*[-–]?\s*)?(?P<speaker>{SPEAKER})\s*(?:[\[(](?P<clock2>{CLOCK})[\])])?\s*:\s+(?P<text>\S.*)$"
)


def _match(line: str) -> re.Match[str] | None:
    match = LABELLED_LINE.match(line)
    if match and len(match.group("speaker")) <= 80 and not match.group("speaker").lower().startswith(("http", "https")):
        return match
    return None


def looks_like_speaker_text(text: str) -> bool:
    """Most non-empty lines start with a speaker label, and at least two people speak."""
    lines = [line for line in text.splitlines() if line.strip()][:400]
    if len(lines) < 2:
        return False
    matches = [m for m in map(_match, lines) if m]
    speakers = {m.group("speaker").strip().lower() for m in matches}
    return len(matches) >= 0.5 * len(lines) and len(speakers) >= 2


def parse_speaker_text(text: str) -> list[Turn]:
    """Split into turns; unlabelled lines continue the previous turn (a paragraph of it).

    A turn's end is the next turn's start when the text has timestamps.
    """
    turns: list[Turn] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _match(line)
        if match:
            clock = match.group("clock") or match.group("clock2")
            turns.append(Turn(clean_speaker(match.group("speaker")), match.group("text").strip(), clock_to_seconds(clock) if clock else None))
        elif turns:
            turns[-1].text = f"{turns[-1].text}\n{line}"
        else:
            turns.append(Turn(None, line))
    for current, following in zip(turns, turns[1:]):
        if current.start is not None and following.start is not None:
            current.end = following.start
    return turns
