"""Quotable units: a passage's sentences with their speaker, their line and their own time.

Both kinds of answer read passages through these: the extractive composer
scores and quotes them, verification of a generated answer compares its
sentences with them and quotes the one that supports each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.models import Passage
from kb.text.passage_lines import speaker_of
from kb.text.prompt_injection import addresses_a_model
from kb.text.sentences import clean_spoken, split_sentences, strip_sound_tags

FILLER = re.compile(r"^(yeah|yes|no|okay|ok|right|sure|mm+|uh+|um+|so|well|thanks?|thank you)\b[\s,.!?]*$", re.IGNORECASE)
# A host moving the conversation along, greeting or thanking: it says what comes next, not what is so.
TRANSITION = re.compile(
    r"^(let'?s (talk|move|turn|start|get|go|switch|wrap|begin|hear|come|jump|dig|shift|open)\b|welcome (to|everyone|back|all)\b|"
    r"thanks?( you)?\b|good (morning|afternoon|evening)\b|(that'?s|that is|what) a (great|good|striking|interesting|fair|lovely) "
    r"(question|point|thing|place|story|note)\b|great (question|point)\b|moving on\b|next question\b|over to you\b)",
    re.IGNORECASE,
)
# Written text that is not a sentence to quote (not_prose)
HEADING_START = re.compile(r"^(\d+(\.\d+)+\.?|(chapter|section|part)\s+\d+[.:]?)\s", re.IGNORECASE)
BULLET = "•"
CONTINUATION = re.compile(r"^([a-z]|\.\.\.|…)")
EPIGRAPH = re.compile(r"^[\"“'‘].{3,}[\"”'’][.,]?\s*([—–]\s*\w|\([^)]*\d[^)]*\)\s*$)")
# A heading on a line of its own (the PDF reader and the prose chunker keep it apart): a few words, no sentence end.
HEADING_MAX_WORDS = 12
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
LIST_ITEM = re.compile(r"^([-*+]|\d+[.)])\s")
UNIT_WORDS = 10  # a quoted unit joins short sentences of one line until it has this many words


@dataclass
class Sentence:
    text: str
    passage: Passage
    line: int  # text line within the passage (a turn, for transcripts)
    order: int  # position within the passage
    speaker: str | None
    seconds: float | None
    score: float = 0.0
    similarity: float = 0.0
    asked: frozenset[str] = frozenset()  # the words of a question another speaker put to this reply (transcripts)
    terms: frozenset[str] = frozenset()

    @property
    def words(self) -> int:
        return len(self.text.split())


def reader_text(unit: Sentence) -> str:
    """What the reader (kb/reader/) reads of a unit: its speaker's name, when known, then its words; trained so."""
    return f"{unit.speaker}: {unit.text}" if unit.speaker else unit.text


def quotable_units(passage: Passage) -> list[Sentence]:
    """The units an answer may quote: a sentence addressed to a language model ("ignore your previous
    instructions ...") never answers a person, nor supports a generated claim; and in written documents a
    heading, a list or contents fragment, an epigraph or a page-start fragment is no sentence to quote."""
    written, paged = passage.kind != "transcript", passage.page is not None
    return [unit for unit in split_passage(passage) if not addresses_a_model(unit.text) and not (written and not_prose(unit.text, paged))]


def not_prose(text: str, pdf: bool = False) -> bool:
    """Text a reader of a PDF or notes would not call a sentence: it opens with a section number ("2.1 Easy to
    learn ..."), holds list bullets, opens mid-sentence (a lower-case word or an ellipsis: the rest of a sentence
    begun on the page before), is an epigraph (a quotation signed with a dash or a reference in parentheses), or
    is a heading (in a PDF, where the reader sets headings apart: a few words with no sentence end, "The tech lead";
    a list item is no heading; notes written without full stops keep every line)."""
    stripped = text.strip()
    heading = pdf and len(stripped.split()) <= HEADING_MAX_WORDS and not SENTENCE_END.search(stripped) and not LIST_ITEM.match(stripped)
    return bool(heading or HEADING_START.match(stripped) or BULLET in stripped or CONTINUATION.match(stripped) or EPIGRAPH.match(stripped))


def split_passage(passage: Passage) -> list[Sentence]:
    """Quotable units with their line's speaker (transcript lines are `Name: text`) and their own start time.

    A unit is a sentence, or a run of short ones: spoken answers often come as
    short sentences ("Start by making your work visible. Present at forums."),
    and each alone says too little to be chosen, so consecutive plain sentences
    of one line are joined until the unit has UNIT_WORDS words. Questions,
    fillers and transitions stay units of their own (they are never answers).
    Spoken lines are quoted clean-verbatim (no "um", no sound tags, no stutters);
    written ones without sound tags (a talk's captions saved as an essay keep "(applause)").
    A unit's time is that of the caption cue it starts in, when the line's cues
    are known, else its line's start.
    """
    units: list[Sentence] = []
    lines = passage.text.split("\n")
    starts = passage.line_starts if len(passage.line_starts) == len(lines) else []
    cues = _cues_by_line(passage.cue_marks)
    order = 0
    for index, line in enumerate(lines):
        label, raw = speaker_of(line, [*passage.speakers, *passage.labels])
        speaker = passage.labels.get(label, label) if label else None  # the person, when a merge renamed the label
        body = clean_spoken(raw) if passage.kind == "transcript" else strip_sound_tags(raw)  # "(applause)" is never quoted
        said, words_before = len(body.split()) or 1, 0
        for text in join_short(split_sentences(body)):
            # where the unit starts among the line's verbatim words (cleaning drops a few: scale)
            word = words_before * len(raw.split()) / said
            seconds = max((s for w, s in cues.get(index, []) if w <= word), default=starts[index] if starts else None)
            if len(text.split()) >= 3:
                units.append(Sentence(text, passage, index, order, speaker, seconds))
            order += 1
            words_before += len(text.split())
    return units


def join_short(sentences: list[str]) -> list[str]:
    """Consecutive plain sentences joined until each unit has UNIT_WORDS words; others left alone."""
    units: list[str] = []
    open_unit = False  # whether the last unit is plain and still short
    for sentence in sentences:
        plain = not (sentence.rstrip().endswith("?") or FILLER.match(sentence) or TRANSITION.match(sentence))
        if plain and open_unit:
            units[-1] += " " + sentence
        else:
            units.append(sentence)
        open_unit = plain and len(units[-1].split()) < UNIT_WORDS
    return units


def _cues_by_line(flat: list[float]) -> dict[int, list[tuple[float, float]]]:
    lines: dict[int, list[tuple[float, float]]] = {}
    for i in range(0, len(flat) - 2, 3):
        lines.setdefault(int(flat[i]), []).append((flat[i + 1], flat[i + 2]))
    return lines
