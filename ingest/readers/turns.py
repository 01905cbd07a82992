"""Speaker turns: what every transcript format is reduced to before chunking."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llama_index.core.schema import Document

from kb.contract import MAX_SPEAKER_CHARS

# A plausible speaker label: 1-6 words, starting with a capital letter, no sentence
# punctuation; a word may be a number, as diarizers write them ("Speaker 0", "Guest 2",
# "SPEAKER_00"). Long enough for "Industrial Designer" or "Dr. Maya Chen", short enough
# to reject "Note that the plan: ...". Whether a match is a speaker takes evidence too (`is_speaker_label`).
SPEAKER = r"[A-Z][\w.'’\-]*(?: (?:[A-Za-z][\w.'’\-]*|\d{1,3})){0,5}"
# Labels machines write: "Speaker 0", "SPEAKER_00", "Speaker A", "spk_1", "Guest 2", "Participant 3".
MACHINE_LABEL = re.compile(r"^(?:speaker|spk|guest|participant|person|voice|unknown)[ _-]?(?:\d{1,3}|[A-Z])$", re.IGNORECASE)
_NAME_WORD = re.compile(r"^(?:[A-Z][\w.'’\-]*|\d{1,3}|(?:de|da|del|van|von|der|den|la|le|bin|al|of|the)\.?)$")


def is_speaker_label(label: str, times_used: int) -> bool:
    """Evidence that a `Label:` opening a line names who speaks, not a sentence ending in a colon.

    A machine label ("Speaker 0"), a label used more than once, or a name of two to four
    words each capitalised ("Maya Chen", "Audience Member", "Jan van der Berg") is a speaker;
    "Let us start with a background:" or a lone "SteelCore:" is text.
    """
    label = label.strip()
    if MACHINE_LABEL.match(label) or times_used >= 2:
        return True
    words = label.split()
    return 2 <= len(words) <= 4 and all(_NAME_WORD.match(word) for word in words) and words[0][0].isupper()


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
    """Tidy a label; ALL-CAPS captions ("MAYA CHEN") become "Maya Chen", machine labels ("SPEAKER_00") stay."""
    name = re.sub(r"\s+", " ", name).strip(" -:>[]")
    if name.isupper() and len(name) > 3 and not MACHINE_LABEL.match(name):
        name = re.sub(r"\b(Ma?c)([a-z])", lambda m: m.group(1) + m.group(2).upper(), name.title())  # MCCUTCHEN -> McCutchen
    return name[:MAX_SPEAKER_CHARS]


def restore_name_case(turns: list[Turn]) -> None:
    """A speaker's name as the transcript itself writes it, when a caption's capitals lost that ("Matt Mccutchen" -> "Matt McCutchen")."""
    names = {t.speaker for t in turns if t.speaker}
    if not names:
        return
    text = "\n".join(t.text for t in turns)
    written: dict[str, str] = {}
    for name in names:
        for match in re.finditer(re.escape(name), text, re.IGNORECASE):
            form = match.group(0)
            if form != name and not form.isupper() and not form.islower() and form.lower() == name.lower():
                written[name] = form
                break
    for turn in turns:
        if turn.speaker in written:
            turn.speaker = written[turn.speaker]


def rename_speakers(turns: list[Turn], names: dict[str, str]) -> None:
    """Labels mapped to people (front matter `speakers: {SPEAKER_00: Maya Chen}` or `kb ingest --speaker-name`)."""
    if not names:
        return
    folded = {label.casefold(): name for label, name in names.items()}
    for turn in turns:
        if turn.speaker and turn.speaker.casefold() in folded:
            turn.speaker = folded[turn.speaker.casefold()]


def complete_first_names(turns: list[Turn]) -> None:
    """A first name alone ("Adam") is the one full name of this file that starts with it ("Adam Chlipala").

    Hosts name panellists in full once and by first name after, and captions follow
    them; talk transcripts label a speaker "DAVID" whose own turn says "Hi, I'm David
    Nolen", or whom the host's turn just before introduces ("our last talk is by Allison
    Nelson"). So the full names are the file's own: its full-name labels, what a speaker
    says of themself, and how the turn before their first one names them. Only when exactly one fits: with two Adams, or none, the
    label stays as written. Machine labels ("Speaker 1") are never names.
    """
    names = {t.speaker for t in turns if t.speaker}
    full = {name for name in names if len(_given(name).split()) >= 2 and not MACHINE_LABEL.match(name)}
    completed: dict[str, str] = {}
    for name in names:
        if len(name.split()) != 1 or MACHINE_LABEL.match(name) or not name[:1].isupper() or name.casefold().rstrip(".") in _ROLES:
            continue
        first = name.casefold()
        fits = {f for f in full if _given(f).split()[0].casefold() == first}
        fits |= _said_of_themself(name, [t.text for t in turns if t.speaker == name]) | _introduced_as(name, turns)
        if len({f.casefold() for f in fits}) == 1:
            completed[name] = sorted(fits)[0]
    for turn in turns:
        if turn.speaker in completed:
            turn.speaker = completed[turn.speaker]


# A name word: capitalised, not a possessive ("Chen's manager" is no name); a name ends where a phrase does.
_NAME_PART = r"[A-Z][\w'’-]*(?<!'s)(?<!’s)"
_NAME_END = r"(?=\s*(?:[.,;:!?)—–]|$)|\s+(?:and|who|who's|who’s|from|at|here|is|was|will)\b)"  # "Allison Kaptur and I work ..."
_SELF_INTRODUCTION = (
    r"\b(?:I'm|I’m|I am|my name is|my name's|my name’s)\s+"
    rf"({{first}}(?:\s+(?:{_NAME_PART}|de|van|von|der|da)){{{{0,2}}}}\s+{_NAME_PART}){_NAME_END}"
)
# Single words that label a role, not a person: never completed to a name ("Dr." is not "Dr. Maya Chen").
_ROLES = {"dr", "mr", "mrs", "ms", "prof", "host", "moderator", "interviewer", "q", "a", "audience", "panelist", "panel", "guest", "chair"}
_TITLE = re.compile(r"^(?:dr|mr|mrs|ms|prof|sir|dame)\.?\s+", re.IGNORECASE)


def _given(name: str) -> str:
    """A full name without its title: "Dr. Maya Chen" -> "Maya Chen" (its first name is Maya)."""
    return _TITLE.sub("", name)


def _said_of_themself(name: str, texts: list[str]) -> set[str]:
    """Full names a speaker gives themself in their own first turns ("Hi, I'm Jon Williams")."""
    pattern = re.compile(_SELF_INTRODUCTION.format(first=re.escape(name[:1].upper() + name[1:].lower())))
    return {" ".join(match.group(1).split()) for text in texts[:3] for match in pattern.finditer(text)}


def _introduced_as(name: str, turns: list[Turn]) -> set[str]:
    """Full names starting with `name` in the turn just before that speaker's first turn (the host's introduction)."""
    first = next((i for i, turn in enumerate(turns) if turn.speaker == name), 0)
    if first == 0 or turns[first - 1].speaker == name:
        return set()
    pattern = re.compile(rf"\b({re.escape(name[:1].upper() + name[1:].lower())}(?:\s+{_NAME_PART}){{1,2}}){_NAME_END}")
    return {" ".join(match.group(1).split()) for match in pattern.finditer(turns[first - 1].text)}
