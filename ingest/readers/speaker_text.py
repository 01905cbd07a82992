"""Speaker-labelled text, in the shapes people and tools export it.

- `Maya Chen: ...`, `[00:12:31] Maya Chen: ...`, `Speaker 2 (00:01:02): ...`, `SPEAKER_00: ...`,
  `[00:00:01.000 --> 00:00:04.000] SPEAKER_00: ...` (WhisperX / pyannote): a turn per line or paragraph;
- a label on its own line, with a time or a colon, the words below it: `Speaker 1  0:00` (Otter),
  `Maya Chen (00:01:02):` (Rev), `Maya Chen 00:01:02`;
- `>>` opening each turn without a name (talk and TV transcripts): turns of unknown speakers;
- any of these with the label in Markdown bold (`**[00:01] SPEAKER_00:** ...`) or times as `[00:00:03 → 00:00:14]`.

A line that looks like a label is one only with evidence (`turns.is_speaker_label`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.readers.turns import SPEAKER, Turn, clean_speaker, clock_to_seconds, is_speaker_label
from kb.contract import MAX_SPEAKER_CHARS

CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LEAD_CLOCK = rf"(?:[\[(]?(?P<clock>{CLOCK})(?:\s*(?:-->|→|–|-)\s*{CLOCK})?[\])]?\s*[-–]?\s*)?"
_EMPHASIS = re.compile(r"^(\s*)(\*\*|__)(.+?)\2")  # Markdown bold around a label: "**[00:01] SPEAKER_00:** text"
LABELLED_LINE = re.compile(rf"^\s*{_LEAD_CLOCK}(?P<speaker>{SPEAKER})\s*(?:[\[(](?P<clock2>{CLOCK})[\])])?\s*:\s+(?P<text>\S.*)$")
HEADER_LINE = re.compile(rf"^\s*{_LEAD_CLOCK}(?P<speaker>{SPEAKER})\s*(?:[\[(]?(?P<clock2>{CLOCK})[\])]?)?\s*(?P<colon>:)?\s*$")
UNNAMED_TURN = re.compile(r"^\s*>>\s*(?P<text>.*)$")


@dataclass
class _Line:
    kind: str  # "inline", "header", "unnamed" or "text"
    text: str
    speaker: str | None = None
    clock: str | None = None


def _candidate(line: str) -> _Line:
    line = _EMPHASIS.sub(r"\1\3", line, count=1)
    unnamed = UNNAMED_TURN.match(line)
    body = unnamed.group("text") if unnamed else line
    match = LABELLED_LINE.match(body)
    if match and _plausible(match.group("speaker")):
        return _Line("inline", match.group("text").strip(), match.group("speaker"), match.group("clock") or match.group("clock2"))
    match = HEADER_LINE.match(body)
    if match and _plausible(match.group("speaker")) and (match.group("clock") or match.group("clock2") or match.group("colon")):
        return _Line("header", "", match.group("speaker"), match.group("clock") or match.group("clock2"))
    if unnamed:
        return _Line("unnamed", body.strip())
    return _Line("text", line.strip())


def _plausible(label: str) -> bool:
    return len(label) <= MAX_SPEAKER_CHARS and not label.lower().startswith(("http", "https"))


def _classified(lines: list[str]) -> list[_Line]:
    """Each non-empty line, with labels kept only where the file gives evidence they are speakers."""
    candidates = [_candidate(line) for line in lines if line.strip()]
    used = Counter(c.speaker.strip().casefold() for c in candidates if c.speaker)
    for c in candidates:
        if c.speaker and not is_speaker_label(c.speaker, used[c.speaker.strip().casefold()]):
            original = f"{c.speaker}: {c.text}" if c.kind == "inline" else c.speaker
            c.kind, c.text, c.speaker, c.clock = "text", original, None, None
    return candidates


def looks_like_speaker_text(text: str) -> bool:
    """Turns throughout: most lines labelled (or labels on their own lines, or `>>` turns), two or more voices."""
    lines = [line for line in text.splitlines() if line.strip()][:400]
    if len(lines) < 2:
        return False
    classified = _classified(lines)
    kinds = Counter(c.kind for c in classified)
    speakers = {c.speaker.strip().casefold() for c in classified if c.speaker}
    if kinds["unnamed"] >= 3 and kinds["unnamed"] + kinds["inline"] + kinds["header"] >= 0.2 * len(lines):
        return True
    labelled = kinds["inline"] >= 0.5 * len(lines) or (kinds["header"] >= 2 and kinds["header"] + kinds["inline"] >= 0.15 * len(lines))
    return labelled and len(speakers) >= 2


def parse_speaker_text(text: str) -> list[Turn]:
    """Split into turns; unlabelled lines continue the current turn (a paragraph of it).

    A turn's end is the next turn's start when the text has timestamps.
    """
    turns: list[Turn] = []
    for line in _classified(text.splitlines()):
        if line.kind == "text" and turns:
            turns[-1].text = f"{turns[-1].text}\n{line.text}" if turns[-1].text else line.text
            continue
        speaker = clean_speaker(line.speaker) if line.speaker else None
        turns.append(Turn(speaker, line.text, clock_to_seconds(line.clock) if line.clock else None))
    turns = [turn for turn in turns if turn.text.strip()]
    for current, following in zip(turns, turns[1:]):
        if current.start is not None and following.start is not None:
            current.end = following.start
    return turns
