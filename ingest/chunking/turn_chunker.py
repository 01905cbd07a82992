"""Transcripts: consecutive speaker turns packed into passages.

A turn is never cut unless it alone exceeds the window (then at sentence
boundaries, each part keeping the speaker and times); very short turns
("Yeah.") ride along with their neighbours instead of becoming passages.
Turns are measured, and embedded, clean-verbatim (no `{vocalsound}`, "um" or
stutters): the stored text stays verbatim, but the model's window holds words.
Passages are cut by time as well as by words (MAX_PASSAGE_SECONDS).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import pairwise

from llama_index.core.schema import Document

from ingest.chunking.packing import Piece, TokenCounter, pack, split_oversize
from kb.store.drafts import PassageDraft
from kb.text.sentences import clean_spoken, split_sentences

# The longest time a passage may span, start to end. A citation's range is where a listener goes to hear
# the quote: "01:41:48-01:52:39" (a ten-minute monologue of many cues, few words a minute) sends them
# scrubbing through a lecture. Four minutes is about a spoken page; a passage of ~190 tokens at speaking
# pace lasts one or two, so only slow, sparse speech (demos, pauses, slides) ever meets the cap.
MAX_PASSAGE_SECONDS = 240.0


def chunk_turns(
    turns: list[Document], count: TokenCounter, target: int, limit: int, count_many: Callable[[list[str]], list[int]]
) -> list[PassageDraft]:
    prefixes = [f"{t.metadata['speaker']}: " if t.metadata.get("speaker") else "" for t in turns]
    lines = [prefix + " ".join(turn.text.split()) for prefix, turn in zip(prefixes, turns)]
    spoken = [prefix + clean_spoken(turn.text) for prefix, turn in zip(prefixes, turns)]
    pieces: list[Piece] = []
    for turn, prefix, line, clean, tokens in zip(turns, prefixes, lines, spoken, count_many(spoken)):
        marks = _marks(turn)
        piece = Piece(
            line,
            tokens,
            turn.metadata.get("speaker"),
            turn.metadata.get("start_seconds"),
            turn.metadata.get("end_seconds"),
            extra={"spoken": clean, "marks": marks},
        )
        parts = [piece]
        if tokens > limit:
            piece.tokens = count(line)  # cut on the verbatim text (longer, so the parts fit either way)
            parts = split_oversize(piece, limit, count, prefix)
            _time_parts(parts, prefix, marks, piece.end)
            _measure(parts, prefix, count)
        for part in parts:
            pieces.extend(_cut_by_time(part, prefix, count))
    return [_passage(group) for group in pack(pieces, target, limit, max_seconds=MAX_PASSAGE_SECONDS)]


def _measure(parts: list[Piece], prefix: str, count: TokenCounter) -> None:
    """Each part's clean-verbatim text and its tokens (what the model will read)."""
    for part in parts:
        part.extra["spoken"] = prefix + clean_spoken(part.text[len(prefix) :])
        part.tokens = count(part.extra["spoken"])


def _cut_by_time(part: Piece, prefix: str, count: TokenCounter) -> list[Piece]:
    """A part of a turn spanning over MAX_PASSAGE_SECONDS, cut where its cues say the time runs out.

    Cuts fall at the sentence start closest before the limit (if it is past half of it),
    else at the caption cue closest before it (captions without punctuation have few
    sentence ends); each piece keeps its own times and cue marks. A turn whose words
    cannot be placed in time (no cues) stays whole.
    """
    marks = part.extra.get("marks") or []
    if part.start is None or part.end is None or part.end - part.start <= MAX_PASSAGE_SECONDS or len(marks) < 2:
        return [part]
    words = part.text[len(prefix) :].split()
    sentence_starts, at_word = [], 0
    for sentence in split_sentences(" ".join(words)):
        sentence_starts.append(at_word)
        at_word += len(sentence.split())
    cuts = _time_cuts(len(words), sentence_starts, marks, part.end)
    if not cuts:
        return [part]
    pieces = [_with_words(part, prefix, words[first:last], count) for first, last in pairwise([0, *cuts, len(words)])]
    _time_parts(pieces, prefix, marks, part.end)
    _measure(pieces, prefix, count)
    return pieces


def _time_cuts(total: int, sentence_starts: list[int], marks: list[tuple[int, float]], end: float) -> list[int]:
    """Word indexes to cut at so that each run spans at most MAX_PASSAGE_SECONDS (where the cues allow it)."""

    def time_at(word: int) -> float:
        return end if word >= total else max((seconds for at, seconds in marks if at <= word), default=marks[0][1])

    cues = [word for word, _ in marks]
    cuts: list[int] = []
    begin = 0
    while time_at(total) - time_at(begin) > MAX_PASSAGE_SECONDS:
        start = time_at(begin)
        fitting = [word for word in sentence_starts if begin < word < total and time_at(word) - start <= MAX_PASSAGE_SECONDS]
        sentence = max(fitting, default=None)
        if sentence is None or time_at(sentence) - start < MAX_PASSAGE_SECONDS / 2:
            in_time = [word for word in cues if begin < word < total and time_at(word) - start <= MAX_PASSAGE_SECONDS]
            later = [word for word in cues if begin < word < total]
            sentence = max(in_time, default=None) or min(later, default=None) or sentence
        if sentence is None:
            break  # one cue longer than the limit: nothing to cut at
        cuts.append(sentence)
        begin = sentence
    return cuts


def _with_words(part: Piece, prefix: str, words: list[str], count: TokenCounter) -> Piece:
    text = prefix + " ".join(words)
    return Piece(text, count(text), part.speaker, part.start, part.end, extra=dict(part.extra))


def _marks(turn: Document) -> list[tuple[int, float]]:
    """(word index, seconds) where the turn's caption cues began; its start alone when it has no cues."""
    flat = turn.metadata.get("cue_marks") or []
    marks = [(int(flat[i]), float(flat[i + 1])) for i in range(0, len(flat) - 1, 2)]
    start = turn.metadata.get("start_seconds")
    return marks or ([(0, float(start))] if start is not None else [])


def _time_parts(parts: list[Piece], prefix: str, marks: list[tuple[int, float]], end: float | None) -> None:
    """Each part of a cut turn gets the times of its own cues (a 15-minute turn is not one time range)."""
    offset = 0
    for part in parts:
        words = len(part.text[len(prefix) :].split())
        before = [seconds for word, seconds in marks if word <= offset]
        own = [(word - offset, seconds) for word, seconds in marks if offset < word < offset + words]
        part.extra["marks"] = ([(0, before[-1])] if before else []) + own
        part.start = part.extra["marks"][0][1] if part.extra["marks"] else part.start
        offset += words
    for part, following in zip(parts, parts[1:]):
        part.end = following.start if following.start is not None else part.end
    if parts:
        parts[-1].end = end


def _passage(group: list[Piece]) -> PassageDraft:
    weight: Counter[str] = Counter()
    for piece in group:
        if piece.speaker:
            weight[piece.speaker] += piece.tokens
    speakers = list(dict.fromkeys(p.speaker for p in group if p.speaker))
    starts = [p.start for p in group if p.start is not None]
    ends = [p.end if p.end is not None else p.start for p in group if (p.end if p.end is not None else p.start) is not None]
    return PassageDraft(
        text="\n".join(p.text for p in group),
        embed_text="",
        clean_text="\n".join(p.extra["spoken"] for p in group),
        speaker=weight.most_common(1)[0][0] if weight else None,
        speakers=speakers,
        start_seconds=starts[0] if starts else None,
        end_seconds=ends[-1] if ends else None,
        line_starts=starts if len(starts) == len(group) else [],  # every line's start, or none
        cue_marks=_flat_marks(group),
    )


def _flat_marks(group: list[Piece]) -> list[float]:
    """(line, word, seconds) triples of the lines that hold more than one cue, flattened, all floats (Chroma's rule for lists)."""
    flat: list[float] = []
    for line, piece in enumerate(group):
        marks = piece.extra.get("marks", [])
        if len(marks) > 1:  # one cue: the line's start, already in line_starts
            for word, seconds in marks:
                flat += [float(line), float(word), float(seconds)]
    return flat
