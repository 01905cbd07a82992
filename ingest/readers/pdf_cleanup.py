"""What a PDF's text layer carries that is not prose: running headers and footers, line-end hyphens, contents pages;
and where its prose is not one run of lines: headings, epigraphs' attributions, sentences cut by a page break.

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


# A heading line: short, no closing punctuation (a numbered one may ask a question: "2.3 Why not?").
HEADING_MAX_WORDS = 12
HEADING_WIDTH_SHARE = 0.7  # of the page's usual line length: a body line runs the full width
_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.|(?:chapter|section|part|appendix)\s+[\dIVXLCA-Z]+[.:]?)\s+\S", re.I)
_ENDS_SENTENCE = re.compile(r"[.!?:…][\"'”’)\]]*$|[\"”’]$")
_ATTRIBUTION = re.compile(r"^\s*(?:[—–]|--?)\s*[A-Z][\w.'’-]*(?:[ ,]+[\w.'’()-]+){0,7}\s*$")  # "— Alan Perlis", "-- Hamlet (IV iii)"


def separate_headings(text: str) -> str:
    """A heading on its own paragraph (blank lines around it), an epigraph's attribution ending its own.

    pypdf gives a heading as a line of its own but with nothing to tell it from a wrapped
    line, so joined with its paragraph it read "2.1 Easy to learn and memorize An
    easy-to-learn API is ...", quoted as one sentence. A heading: a line of at most
    HEADING_MAX_WORDS words, much shorter than the page's body lines, not ending a
    sentence, after a line that does (or at the page's top), and before a line starting
    with a capital. An attribution ("— Alan Perlis") closes the quotation above it.
    """
    lines = text.splitlines()
    body = sorted(len(line.strip()) for line in lines if len(line.split()) >= 6)
    width = body[len(body) // 2] if body else 0
    out: list[str] = []
    for index, line in enumerate(lines):
        before = lines[index - 1].strip() if index else ""
        after = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _ATTRIBUTION.match(line) and _ENDS_SENTENCE.search(before):
            out += [line, ""]
        elif _is_heading(line.strip(), before, after, width):
            out += ["", line, ""]
        else:
            out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _is_heading(line: str, before: str, after: str, width: int) -> bool:
    words = line.split()
    if not words or len(words) > HEADING_MAX_WORDS or not (line[0].isupper() or line[0].isdigit()):
        return False
    numbered = bool(_NUMBERED.match(line))
    if re.search(r"[.,;:!-]$", line) or (line.endswith("?") and not numbered):
        return False
    short = len(line) <= HEADING_WIDTH_SHARE * width if width else len(words) <= 8
    opens = not before or bool(_ENDS_SENTENCE.search(before)) or _is_heading(before, "", "", 0)
    leads = not after or after[0].isupper() or after[0].isdigit() or after[0] in "\"“‘'(—–"
    return short and opens and leads


_PAGE_GOES_ON = re.compile(r"^[a-z]")  # a page that opens lower-case continues the sentence of the page before
# A sentence ends at a stop followed by a capital, a quote or the page's end: "p. 12" or "e.g. a" goes on.
_FIRST_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s+[A-Z\"“‘(\[]|\s*$)")
CARRY_MAX_WORDS = 60  # a longer opening run is no sentence's tail: leave the pages as they are


def join_page_breaks(pages: list[tuple[int, str]], document: str) -> list[tuple[int, str]]:
    """A sentence cut by a page break is whole on the page where it starts.

    The next page's opening words ("memorize, and its names ...") up to the first sentence
    end move to the end of the page before when that page stops mid-sentence: a passage
    never crosses a page, and alone the tail reads as a sentence of its own (and the
    head as another). A page's own start is no longer a fragment; nothing is lost.
    """
    numbers = [number for number, _ in pages]
    joined = [text for _, text in pages]
    for at in range(len(joined) - 1):
        tail, head = joined[at].rstrip(), joined[at + 1].lstrip()
        if not tail or not head or _ENDS_SENTENCE.search(tail) or not (_PAGE_GOES_ON.match(head) or tail.endswith("-")):
            continue
        end = _FIRST_SENTENCE_END.search(head)
        if end is None or len(head[: end.end()].split()) > CARRY_MAX_WORDS:
            continue
        joined[at] = rejoin_hyphens(f"{tail}\n{' '.join(head[: end.end()].split())}", document)  # "mem-" + "orize"
        joined[at + 1] = head[end.end() :].lstrip()
    return list(zip(numbers, joined))


def clean_pages(pages: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """All of the above, pages without text left out."""
    pages = drop_running_lines([(number, text.translate(_LIGATURES)) for number, text in pages])
    document = "\n".join(text for _, text in pages)
    cleaned = [(number, drop_contents_lines(rejoin_hyphens(text, document))) for number, text in pages]
    cleaned = join_page_breaks([(number, text) for number, text in cleaned if text], document)
    return [(number, separate_headings(text)) for number, text in cleaned if text]
