"""Packing small pieces (turns, paragraphs, sentences) into passages that fit the model.

Every size here is in tokens of the embedding model's own tokenizer, so a
passage is never silently truncated when embedded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kb.text.sentences import split_sentences

TokenCounter = Callable[[str], int]


@dataclass
class Piece:
    """A run of text that stays whole unless it alone is too long."""

    text: str
    tokens: int
    speaker: str | None = None
    start: float | None = None
    end: float | None = None
    page: int | None = None
    section: str | None = None
    extra: dict = field(default_factory=dict)


def split_oversize(piece: Piece, limit: int, count: TokenCounter, prefix: str = "") -> list[Piece]:
    """Cut a piece over `limit` at sentence boundaries (words as a last resort), keeping its fields.

    `prefix` (e.g. "Maya Chen: ") is repeated on every part so each stays attributed.
    Linear in the piece's length: every sentence is counted once (`_runs`).
    """
    if piece.tokens <= limit:
        return [piece]
    body = piece.text[len(prefix) :] if prefix and piece.text.startswith(prefix) else piece.text
    room = limit - count(prefix) + 2
    units: list[str] = []
    for sentence in split_sentences(body):
        units.extend(_split_words(sentence, room, count) if count(sentence) > room else [sentence])
    return [_with_text(piece, prefix + text, count) for text in _runs(units, room, count)]


def paragraph_pieces(text: str, count: TokenCounter, target: int, limit: int, **fields) -> list[Piece]:
    """A paragraph as one piece, or as sentences when it is longer than a passage should be."""
    piece = Piece(text, count(text), **fields)
    if piece.tokens <= target:
        return [piece]
    pieces: list[Piece] = []
    for sentence in split_sentences(text):
        pieces.extend(split_oversize(Piece(sentence, count(sentence), **fields), limit, count))
    for later in pieces[1:]:
        later.extra["same_paragraph"] = True
    return pieces


def join_pieces(group: list[Piece], paragraph_break: str = "\n\n") -> str:
    """Sentences of one paragraph join with a space, paragraphs with `paragraph_break`."""
    parts: list[str] = []
    for piece in group:
        if parts:
            parts.append(" " if piece.extra.get("same_paragraph") else paragraph_break)
        parts.append(piece.text)
    return "".join(parts)


def _split_words(text: str, limit: int, count: TokenCounter) -> list[str]:
    """A text with no sentence ends, cut into runs of whole words under `limit` tokens."""
    return _runs(text.split(), limit, count)


def _runs(units: list[str], limit: int, count: TokenCounter) -> list[str]:
    """Join consecutive units (words or sentences) with spaces into runs that fit `limit` tokens.

    Why not count each growing run: that re-tokenizes the run for every unit, so a
    text with no sentence ends cost time quadratic in its length (a 200 KB upload
    took 18 s). Each distinct unit is counted once instead and the costs are summed,
    which is exact for BERT's word-level tokenizers (a word's tokens never depend on
    its neighbours). Each run is then counted whole once; a tokenizer that does merge
    across spaces can make it longer than the sum, and such a run is halved until it fits.
    """
    costs: dict[str, int] = {}
    runs: list[list[str]] = []
    current: list[str] = []
    size = 2  # [CLS] and [SEP]
    for unit in units:
        cost = costs.get(unit)
        if cost is None:
            cost = costs[unit] = max(count(unit) - 2, 0)
        if current and size + cost > limit:
            runs.append(current)
            current, size = [], 2
        current.append(unit)
        size += cost
    if current:
        runs.append(current)
    return [text for run in runs for text in _fitted(run, limit, count)]


def _fitted(run: list[str], limit: int, count: TokenCounter) -> list[str]:
    text = " ".join(run)
    if len(run) == 1 or count(text) <= limit:
        return [text]
    middle = len(run) // 2
    return _fitted(run[:middle], limit, count) + _fitted(run[middle:], limit, count)


def _with_text(piece: Piece, text: str, count: TokenCounter) -> Piece:
    return Piece(text, count(text), piece.speaker, piece.start, piece.end, piece.page, piece.section, dict(piece.extra))


def pack(
    pieces: list[Piece],
    target: int,
    limit: int,
    boundary: Callable[[Piece, Piece], bool] | None = None,
    max_seconds: float | None = None,
) -> list[list[Piece]]:
    """Group consecutive pieces into passages of about `target` tokens, never over `limit`.

    A piece starts a new group when adding it would pass `target`, or when
    `boundary(prev, piece)` says so (a new page, a new section), or when the group
    would then span more than `max_seconds` from its first start to its last end (a
    citation's time range stays one a listener can use). A last group far
    smaller than target is merged back into the one before when it fits `limit` (and the time span).
    Token counts are summed (each piece counted with its own [CLS]/[SEP]), which
    over-estimates slightly and so stays on the safe side of the window.
    """
    groups: list[list[Piece]] = []
    current: list[Piece] = []
    size = 0
    for piece in pieces:
        cost = piece.tokens - 2
        crosses = bool(current) and boundary is not None and boundary(current[-1], piece)
        too_long = bool(current) and max_seconds is not None and span_seconds([current[0], piece]) > max_seconds
        if current and (crosses or too_long or size + cost + 2 > target):
            groups.append(current)
            current, size = [], 0
        current.append(piece)
        size += cost
    if current:
        if (
            groups
            and size < target // 4
            and group_tokens(groups[-1]) + size <= limit
            and (boundary is None or not boundary(groups[-1][-1], current[0]))
            and (max_seconds is None or span_seconds([groups[-1][0], current[-1]]) <= max_seconds)
        ):
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def span_seconds(group: list[Piece]) -> float:
    """Seconds from the group's first start to its last end (its last start when it has no end); 0 without times."""
    starts = [p.start for p in group if p.start is not None]
    ends = [end for p in group if (end := p.end if p.end is not None else p.start) is not None]
    return max(ends[-1] - starts[0], 0.0) if starts and ends else 0.0


def group_tokens(group: list[Piece]) -> int:
    """Tokens of a group of pieces joined into one passage ([CLS] and [SEP] once)."""
    return sum(p.tokens - 2 for p in group) + 2
