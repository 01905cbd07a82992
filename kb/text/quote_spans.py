"""Where a quoted sentence sits in its passage's verbatim text, so a reader can see it highlighted.

Answers quote clean-verbatim ("um", stutters and sound tags dropped, "you 're"
closed up) while the stored passage keeps the tape's words. A client cannot find
the quote by searching the text for it, so the server, which knows which line the
sentence came from, aligns the quote's words with that line's words and hands out
the character span: `[start, end)` in the passage's `text`, counted in Unicode
code points (Python's `str` indexing; JavaScript clients index `Array.from(text)`).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
# Raw words a cleaned quote may have dropped between two of its words (fillers, stutters, sound tags).
MAX_SKIPPED = 8
# The sentence's own closing punctuation: "down." or, as some transcripts space it, "down ."
_OPENING = "\"'“‘(["
_CLOSING = re.compile(r"\s?[.!?…]+[\"'”’)\]]*|[^\w\s]*")


def quote_span(text: str, line: int, quote: str) -> tuple[int, int] | None:
    """The span of `quote` within line `line` of `text` (lines split at "\\n"), or None when it is not there.

    The quote's words must appear in order on that line; raw words in between
    (up to MAX_SKIPPED in a row) are the ones cleaning dropped. Of the places it
    could start, the one matching most of its words wins, then the tightest (a
    quote starting "We should only" skips the line's earlier "We should never ...").
    """
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    offset = sum(len(before) + 1 for before in lines[:line])
    raw = [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(lines[line])]
    wanted = [w.casefold() for w in _WORD.findall(quote)]
    if not wanted or not raw:
        return None
    best: tuple[int, int, int, int] | None = None  # (matched, -raw words spanned, first raw index, last raw index)
    for first, (word, _, _) in enumerate(raw):
        if word != wanted[0]:
            continue
        matched, last = _align(raw, first, wanted)
        candidate = (matched, first - last, first, last)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None or best[0] < max(1, (len(wanted) + 1) // 2):  # less than half its words: not this line
        return None
    _, _, first, last = best
    start = raw[first][1]
    while start > 0 and lines[line][start - 1] in _OPENING:  # “Consistency” starts at its quote mark
        start -= 1
    end = raw[last][2]
    end += len(_CLOSING.match(lines[line], end).group())  # type: ignore[union-attr]  # always matches
    return offset + start, offset + end


def _align(raw: list[tuple[str, int, int]], first: int, wanted: list[str]) -> tuple[int, int]:
    """(quote words matched, index of the last raw word matched), walking forward from `first`."""
    matched, last, at = 0, first, first
    for word in wanted:
        for probe in range(at, min(len(raw), at + MAX_SKIPPED + 1)):
            if raw[probe][0] == word:
                matched, last, at = matched + 1, probe, probe + 1
                break
        # a quote word not found nearby (a changed capital letter is casefolded away; rare otherwise): skip it
    return matched, last
