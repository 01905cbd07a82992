"""Speaker-labelled text, in the shapes people and tools export it.

- `Maya Chen: ...`, `[00:12:31] Maya Chen: ...`, `Speaker 2 (00:01:02): ...`, `SPEAKER_00: ...`,
  `[00:00:01.000 --> 00:00:04.000] SPEAKER_00: ...` (WhisperX / pyannote): a turn per line or paragraph;
- a label on its own line, with a time or a colon, the words below it: `Speaker 1  0:00` (Otter),
  `Maya Chen (00:01:02):` (Rev), `Maya Chen 00:01:02`;
- `>>` opening each turn without a name (talk and TV transcripts): turns of unknown speakers;
- live captions (CART) hard-wrapped at a few words a line, each turn opened by `>>` or `NAME:` and continued
  on the lines below it, with `(applause)` between: a few openers among hundreds of lines (`_wrapped_turns`);
- any of these with the label in Markdown bold (`**[00:01] SPEAKER_00:** ...`) or times as `[00:00:03 → 00:00:14]`.

A line that looks like a label is one only with evidence (`turns.is_speaker_label`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.readers.turns import MACHINE_LABEL, SPEAKER, Turn, clean_speaker, clock_to_seconds, is_speaker_label
from kb.contract import MAX_SPEAKER_CHARS

CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LEAD_CLOCK = rf"(?:[\[(]?(?P<clock>{CLOCK})(?:\s*(?:-->|→|–|-)\s*{CLOCK})?[\])]?\s*[-–]?\s*)?"
_EMPHASIS = re.compile(r"^(\s*)(\*\*|__)(.+?)\2")  # Markdown bold around a label: "**[00:01] SPEAKER_00:** text"
LABELLED_LINE = re.compile(rf"^\s*{_LEAD_CLOCK}(?P<speaker>{SPEAKER})\s*(?:[\[(](?P<clock2>{CLOCK})[\])])?\s*:\s+(?P<text>\S.*)$")
HEADER_LINE = re.compile(rf"^\s*{_LEAD_CLOCK}(?P<speaker>{SPEAKER})\s*(?:[\[(]?(?P<clock2>{CLOCK})[\])]?)?\s*(?P<colon>:)?\s*$")
UNNAMED_TURN = re.compile(r"^\s*>>(?!>)\s*(?P<text>.*)$")  # not `>>>`: a Python prompt is no turn
# Wrapped captions: the first turn opens within this many lines (a title or two may come first) ...
FIRST_OPENER_WITHIN = 10
# ... and at least this many turns open, or two when the file opens with one.
MIN_WRAPPED_OPENERS = 3
# Capitalised words that open lines of written text as labels, not speakers ("NOTE: ...", "Update: ...").
_NOT_SPEAKERS = frozenset(
    ["note", "notes", "warning", "caution", "tip", "todo", "fixme", "important", "update", "edit", "example", "summary", "ps", "nb"]
)


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
    """Each non-empty line, with labels kept only where the file gives evidence they are speakers.

    In a quoted e-mail `>>` marks a quote, not a turn (`_quotes_mail`): those lines stay text.
    """
    lines = [line for line in lines if line.strip()]
    candidates = [_candidate(line) for line in lines]
    if _quotes_mail(lines):
        for c, line in zip(candidates, lines):
            if c.kind == "unnamed":
                c.kind, c.text = "text", line.strip()
    used = Counter(c.speaker.strip().casefold() for c in candidates if c.speaker)
    for c in candidates:
        if c.speaker and not is_speaker_label(c.speaker, used[c.speaker.strip().casefold()]):
            original = f"{c.speaker}: {c.text}" if c.kind == "inline" else c.speaker
            c.kind, c.text, c.speaker, c.clock = "text", original, None, None
    return candidates


_SINGLE_QUOTE = re.compile(r"^\s*>(?!>)|^\s*>\s+>")  # "> text" or "> > text": quoting levels
_QUOTE_GOES_ON = re.compile(r"^\s*>>(?!>)\s*[a-z]")  # a `>>` line starting lower-case: a quoted sentence wrapped


def _quotes_mail(lines: list[str]) -> bool:
    """E-mail quoting: a single `>` level somewhere, or a `>>` line that goes on on the next `>>` line.

    A talk transcript's `>>` opens each turn with its own sentence; a reply quotes with `>`
    and `>>` on every line of a wrapped paragraph, so a sentence runs on from one to the next.
    """
    if any(_SINGLE_QUOTE.match(line) for line in lines):
        return True
    return any(UNNAMED_TURN.match(a) and _QUOTE_GOES_ON.match(b) for a, b in zip(lines, lines[1:]))


def looks_like_speaker_text(text: str) -> bool:
    """Turns throughout: most lines labelled (or labels on their own lines, or `>>` turns), two or more voices;
    or live captions hard-wrapped under a few turn openers (`_wrapped_turns`)."""
    if _wrapped_turns(text.splitlines()[:2000]):
        return True
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


def _wrapped_turns(raw: list[str]) -> bool:
    """Hard-wrapped captions: turns opened by `>>` (or by a speaker's label) and continued on the lines below.

    A talk's live captions put a `>>` before each new voice and wrap every turn at a few
    words a line, so six turns can sit among six hundred lines and no share-of-lines rule
    sees them. The evidence asked for instead: the file opens with a turn (within
    FIRST_OPENER_WITHIN lines), MIN_WRAPPED_OPENERS turns or more open (two when the very
    first line opens one), at least one of them goes on onto the next line, and no opener
    touches another quoted line: e-mail quoting puts `>>` on every line of a quote, and a
    Python session `>>>` on every prompt (neither opens a turn). Labelled openers
    (`POLINA:  Okay.`) count only in capitals or when used twice, not "NOTE:", "Update:" or "Action Items:",
    and need two voices.
    """
    filled = [index for index, line in enumerate(raw) if line.strip()]
    if len(filled) < 2:
        return False
    kinds = {index: c for index, c in zip(filled, _classified([raw[i] for i in filled]))}
    quoted = [index for index in filled if raw[index].lstrip().startswith(">")]
    used = Counter(line.speaker.strip().casefold() for line in kinds.values() if line.speaker)
    openers = [index for index in filled if kinds[index].kind != "text" and _names_a_voice(kinds[index], used)]
    if not openers or any(_touches_quote(raw, index) for index in quoted):
        return False
    if len(quoted) > sum(1 for index in openers if kinds[index].kind == "unnamed"):
        return False  # a `>` line that opens no turn: quoting
    first = filled.index(openers[0])
    needed = 2 if first == 0 else MIN_WRAPPED_OPENERS
    continued = sum(1 for index in openers if index + 1 < len(raw) and raw[index + 1].strip() and kinds[index + 1].kind == "text")
    named = {speaker.strip().casefold() for index in openers if (speaker := kinds[index].speaker)}
    voices_ok = len(named) >= 2 or all(kinds[index].kind == "unnamed" for index in openers)
    return first < FIRST_OPENER_WITHIN and len(openers) >= needed and continued >= 1 and voices_ok


def _names_a_voice(line: _Line, used: Counter[str]) -> bool:
    """An opener that can start a caption turn: `>>`, a machine label, a caption's CAPITALS, or a name the file
    labels a turn with more than once. A Title Case label seen once ("Action Items:", "Getting Started:") is a
    heading of notes or a README, not a voice."""
    if line.kind == "unnamed" or not line.speaker:
        return line.kind == "unnamed"
    label = line.speaker.strip()
    if label.casefold() in _NOT_SPEAKERS:
        return False
    return bool(MACHINE_LABEL.match(label)) or (label.isupper() and len(label) > 1) or used[label.casefold()] >= 2


def _touches_quote(raw: list[str], index: int) -> bool:
    """Whether a `>` line has another `>` line right above or below it (a quoted block, not a turn)."""
    return any(0 <= near < len(raw) and raw[near].lstrip().startswith(">") for near in (index - 1, index + 1))


def parse_speaker_text(text: str) -> list[Turn]:
    """Split into turns; unlabelled lines continue the current turn (a paragraph of it).

    A turn's end is the next turn's start when the text has timestamps.
    """
    turns: list[Turn] = []
    for line in _classified(text.splitlines()):
        opens_labelled = line.kind == "unnamed" and turns and turns[-1].speaker and not turns[-1].text
        if (line.kind == "text" or opens_labelled) and turns:  # `Name:` on its own line, then `>> words`: one turn
            turns[-1].text = f"{turns[-1].text}\n{line.text}" if turns[-1].text else line.text
            continue
        speaker = clean_speaker(line.speaker) if line.speaker else None
        turns.append(Turn(speaker, line.text, clock_to_seconds(line.clock) if line.clock else None))
    turns = [turn for turn in turns if turn.text.strip()]
    for current, following in zip(turns, turns[1:]):
        if current.start is not None and following.start is not None:
            current.end = following.start
    name_introduced_speakers(turns, text)
    return turns


# A host handing over: "let's welcome Camille", "please welcome Katherine Ye", "give it up for ...", "over to you, ...",
# "next up, we have ...". The name: one to three capitalised words, on one line or wrapped over two.
_NAME = r"(?-i:(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}))"  # a name is capitalised even where the phrase is matched in any case
_INTRODUCTION = re.compile(
    r"\b(?:(?:please|let'?s|let us)\s+(?:all\s+)?welcome(?:\s+to the stage)?|give it up for|"
    r"(?:put your hands together|a (?:big |warm )?round of applause) for|over to you,?|(?:next|first) up,?\s+(?:we have|we've got|is))"
    rf"\s+{_NAME}(?=\s*(?:[.,!;:?]|$|to the stage\b|up here\b))",
    re.IGNORECASE,
)
# Capitalised words that are no one's name where a name was expected ("let's welcome Everyone back").
_NOT_A_NAME = {"everyone", "everybody", "all", "our", "the", "them", "him", "her", "you", "back", "i", "i'm", "we", "us", "this", "that"}


def name_introduced_speakers(turns: list[Turn], text: str) -> None:
    """An unnamed turn right after a turn that introduces one person ("So let's welcome Camille.") is that person's.

    Talk captions open every turn with `>>` and name nobody, yet the host says who speaks
    next. Only the turn right after the introduction is named, only when that turn names
    no one already and the introduction names exactly one person; other unnamed turns stay
    None (a speaker is null only where the source names no one). A first name becomes the
    full name when the file writes exactly one full name that starts with it ("our keynote
    speaker, Camille Fournier").
    """
    for current, following in zip(turns, turns[1:]):
        if following.speaker is None:
            name = _introduced(current.text)
            if name:
                following.speaker = _full_name(name, text)


def _introduced(turn_text: str) -> str | None:
    """The one person a turn hands over to, or None (no introduction, or several people)."""
    names = set()
    for match in _INTRODUCTION.finditer(turn_text):
        words = match.group("name").split()
        while words and words[-1].casefold() in _NOT_A_NAME:
            words.pop()
        if not words or words[0].casefold() in _NOT_A_NAME:
            return None
        names.add(" ".join(words))
    return names.pop() if len(names) == 1 else None


def _full_name(name: str, text: str) -> str:
    """`name` as the file's one full name starting with it ("Camille" -> "Camille Fournier"), else as it is."""
    if " " in name:
        return name
    pattern = re.compile(rf"\b{re.escape(name)}(?:[ \t]*\n?[ \t]*[A-Z][\w'’-]+){{1,2}}\b")  # "Camille\nFournier" wraps too
    full: set[str] = set()
    for match in pattern.finditer(text):
        words = match.group(0).split()
        full.add(" ".join(words[: next((i for i, word in enumerate(words) if word.casefold() in _NOT_A_NAME), len(words))]))
    full.discard(name)
    return full.pop() if len(full) == 1 else name
