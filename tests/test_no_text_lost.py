"""No text dropped silently: every word a file holds is in its stored passages, in every format, or the file fails.

Each file is written with numbered words (zqaaa, zqaab, ...: letters, so no rule
for page numbers or running headers sees a pattern) in the shapes real
exports have (voices, bare cues, speaker lines with and without clocks, Markdown
sections, PDF pages), ingested for real, and the stored passages are read back
page by page. A reader that drops a cue, a line or a page loses a number.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest import ingest_paths
from kb import KnowledgeBase, Settings
from tests.conftest import make_pdf, write


def _word(n: int) -> str:
    return "zq" + "".join("abcdefghijklmnopqrstuvwxyz"[n // 26**k % 26] for k in (2, 1, 0))


def _words(start: int, count: int) -> str:
    return " ".join(_word(n) for n in range(start, start + count))


WORD = re.compile(r"zq[a-z]{3}")


def _stored_words(kb: KnowledgeBase, doc_id: str) -> set[str]:
    words: set[str] = set()
    offset: int | None = 0
    while offset is not None:
        page = kb.passages_of(doc_id, offset, 500)
        words |= {w for p in page.passages for w in WORD.findall(p.text)}
        offset = page.next_offset
    return words


def _vtt() -> str:
    cues = [
        f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 1:02d}.500\n" + (f"<v Maya Chen>{_words(10 * i, 10)}" if i % 3 else _words(10 * i, 10))
        for i in range(20)
    ]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def _srt() -> str:
    cues = [
        f"{i + 1}\n00:00:{2 * i:02d},000 --> 00:00:{2 * i + 1:02d},500\n"
        + (f"[Daniel Okafor] {_words(10 * i, 10)}" if i % 4 == 0 else _words(10 * i, 10))
        for i in range(20)
    ]
    return "\n\n".join(cues) + "\n"


def _speaker_text() -> str:
    speakers = ["Maya Chen", "Daniel Okafor", "Priya Raman"]
    return "\n".join(f"[00:{i // 60:02d}:{i % 60:02d}] {speakers[i % 3]}: {_words(12 * i, 12)}." for i in range(25)) + "\n"


def _markdown() -> str:
    return "---\ntitle: Numbers\n---\n# Numbers\n\n" + "\n\n".join(f"## Part {i}\n\n{_words(20 * i, 20)}." for i in range(10)) + "\n"


FILES = {
    "cues.vtt": lambda folder: write(folder / "cues.vtt", _vtt()),
    "cues.srt": lambda folder: write(folder / "cues.srt", _srt()),
    "panel.txt": lambda folder: write(folder / "panel.txt", _speaker_text()),
    "essay.txt": lambda folder: write(folder / "essay.txt", "\n\n".join(f"{_words(15 * i, 15)}." for i in range(12)) + "\n"),
    "notes.md": lambda folder: write(folder / "notes.md", _markdown()),
    "pages.pdf": lambda folder: make_pdf(
        folder / "pages.pdf", ["\n".join(f"{_words(40 * p + 8 * line, 8)}." for line in range(5)) for p in range(4)]
    ),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_word_of_a_file_is_stored(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    path = FILES[name](folder)
    given = set(WORD.findall(path.read_text(errors="ignore"))) if not name.endswith(".pdf") else None
    with KnowledgeBase(Settings(data_dir=tmp_path / "data")) as kb:
        report = ingest_paths([folder], kb)
        assert report.failed == 0, report.files
        stored = _stored_words(kb, name)
    if given is None:  # the PDF's words as drawn, page by page
        given = {_word(n) for p in range(4) for line in range(5) for n in range(40 * p + 8 * line, 40 * p + 8 * line + 8)}
    assert stored == given, f"{name}: lost {sorted(given - stored)[:10]}"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("broken.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nw0001 w0002\n\n00:00:xx.000 --> banana\nw0003 w0004\n"),
        ("broken.srt", "1\n00:00:01,000 --> 00:00:02,000\nw0001 w0002\n\n2\n00:00:xx,000 --> banana\nw0003 w0004\n"),
    ],
)
def test_a_cue_with_a_broken_timing_fails_the_file_naming_the_line(name: str, text: str, tmp_path: Path) -> None:
    """webvtt-py dropped such a cue with its words and the file was reported "added"; SubRip kept the timing as speech."""
    write(tmp_path / "in" / name, text)
    write(tmp_path / "in" / "fine.md", "# Fine\n\nw0009 is stored.\n")
    with KnowledgeBase(Settings(data_dir=tmp_path / "data")) as kb:
        files = {f.doc_id: f for f in ingest_paths([tmp_path / "in"], kb).files}
    assert files["fine.md"].status == "added"
    assert files[name].status == "failed" and files[name].error and "line 6" in files[name].error and "banana" in files[name].error


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("no-millis.srt", "1\n00:00:01 --> 00:00:02\nzqaaa zqaab\n\n2\n00:00:03,000 --> 00:00:04,000\n2x --> 4x faster zqaac\n"),
        ("colon-millis.srt", "1\n00:00:01:500 --> 00:00:02:000\nzqaaa zqaab zqaac\n"),
        ("tight-arrow.vtt", "WEBVTT\n\n00:00:01.000-->00:00:02.000\nzqaaa zqaab\n\n00:00:02.5 --> 00:00:03.000\nzqaac\n"),
    ],
)
def test_timings_the_parsers_take_are_not_refused(name: str, text: str, tmp_path: Path) -> None:
    """The check refuses only what the format's own parser would not read as a timing."""
    write(tmp_path / "in" / name, text)
    with KnowledgeBase(Settings(data_dir=tmp_path / "data")) as kb:
        assert ingest_paths([tmp_path / "in"], kb).failed == 0
        assert _stored_words(kb, name) == {"zqaaa", "zqaab", "zqaac"}
