"""Transcripts: consecutive speaker turns packed into passages.

A turn is never cut unless it alone exceeds the window (then at sentence
boundaries, each part keeping the speaker and times); very short turns
("Yeah.") ride along with their neighbours instead of becoming passages.
Turns are measured, and embedded, clean-verbatim (no `{vocalsound}`, "um" or
stutters): the stored text stays verbatim, but the model's window holds words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from llama_index.core.schema import Document

from ingest.chunking.packing import Piece, TokenCounter, pack, split_oversize
from kb.store.drafts import PassageDraft
from kb.text.sentences import clean_spoken


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
        if tokens <= limit:
            pieces.append(piece)
            continue
        piece.tokens = count(line)  # cut on the verbatim text (longer, so the parts fit either way)
        parts = split_oversize(piece, limit, count, prefix)
        _time_parts(parts, prefix, marks, piece.end)
        for part in parts:
            part.extra["spoken"] = prefix + clean_spoken(part.text[len(prefix) :])
            part.tokens = count(part.extra["spoken"])
            pieces.append(part)
    return [_passage(group) for group in pack(pieces, target, limit)]


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
