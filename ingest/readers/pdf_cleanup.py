"""What a PDF's text layer carries that is not prose: running headers and footers, line-end hyphens, contents pages.

pypdf gives each page's text as laid out, line by line; a paper or a book repeats
its title, date and page number on every page, breaks words at line ends, and lists
its contents with dot leaders. Left in, they are quoted as answers ("Hints for
Computer System Design July 1983 12 use; ...").
"""

from __future__ import annotations

import re
from collections import Counter

EDGE_LINES = 3  # headers and footers sit within this many lines of a page's top or bottom
RUNNING_SHARE = 0.5  # a line on at least this share of pages (and 3 or more) is running text
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
# "2.1 Easy to learn . . . . . . 7" or "Introduction .......... 3": a contents line
_DOT_LEADER = re.compile(r"(?:\.\s*){4,}\s*\d{1,4}\s*$|(?:\s\.){3,}")
_LINE_END_HYPHEN = re.compile(r"(\w+)-\n(\s*)(\w+)")
_ENDS_IN_PAGE_NUMBER = re.compile(r"\S.*\s\d{1,4}\s*$")
CONTENTS_SHARE = 0.6  # a page whose lines mostly end in a page number is a contents page
# Typographic ligatures pypdf passes through: "reﬂected" would never match a search for "reflected".
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})


def line_shape(line: str) -> str:
    """A line with its numbers blanked: "Page 3 of 12" and "Page 4 of 12" are one running line."""
    return _SPACES.sub(" ", _DIGITS.sub("#", line.strip().lower()))


def drop_running_lines(pages: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Remove lines repeated near the top or bottom of most pages (titles, dates, page numbers)."""
    if len(pages) < 3:
        return pages
    seen: Counter[str] = Counter()
    for _, text in pages:
        lines = [line for line in text.splitlines() if line.strip()]
        seen.update({line_shape(line) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]})
    needed = max(3, RUNNING_SHARE * len(pages))
    running = {shape for shape, count in seen.items() if count >= needed and shape.strip("# ")}
    if not running:
        return pages
    cleaned = []
    for number, text in pages:
        lines = text.splitlines()
        keep = [
            line for i, line in enumerate(lines) if not ((i < EDGE_LINES + 2 or i >= len(lines) - EDGE_LINES - 2) and line_shape(line) in running)
        ]
        cleaned.append((number, "\n".join(keep).strip()))
    return cleaned


def rejoin_hyphens(text: str, document: str) -> str:
    """ "mem-\\norize" -> "memorize"; a compound the document also writes whole with its hyphen ("well-known") keeps it."""

    def join(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(3)
        if not tail[0].islower():  # "McGraw-\nHill", "QDock-\nWidget": a capital may be meant, leave it
            return match.group(0)
        hyphenated = f"{head}-{tail}"
        return hyphenated if hyphenated in document else head + tail

    return _LINE_END_HYPHEN.sub(join, text)


def drop_contents_lines(text: str) -> str:
    """Lines of a table of contents are not prose to quote: dot leaders to a page number anywhere,
    and on a page whose lines mostly end in a page number ("2 Characteristics of Good APIs 7"), those lines."""
    lines = [line for line in text.splitlines() if not _DOT_LEADER.search(line)]
    filled = [line for line in lines if line.strip()]
    numbered = [line for line in filled if _ENDS_IN_PAGE_NUMBER.match(line)]
    if len(numbered) >= 4 and len(numbered) >= CONTENTS_SHARE * len(filled):
        lines = [line for line in lines if not _ENDS_IN_PAGE_NUMBER.match(line)]
    return "\n".join(lines).strip()


def clean_pages(pages: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """All of the above, pages without text left out."""
    pages = drop_running_lines([(number, text.translate(_LIGATURES)) for number, text in pages])
    document = "\n".join(text for _, text in pages)
    cleaned = [(number, drop_contents_lines(rejoin_hyphens(text, document))) for number, text in pages]
    return [(number, text) for number, text in cleaned if text]
