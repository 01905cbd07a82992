"""Hostile and odd input files, generated (not committed): what users' folders really hold.

Each case says what ingest must do with it: `failed` with an error containing
`reason`, or `added` (odd but readable: encodings, line endings, names). The
set is shared by the hostile-input tests and can be run by hand.
"""

from __future__ import annotations

import io
import os
import random
from dataclasses import dataclass
from pathlib import Path

GOOD_TURNS = "Maya Chen: Staff engineers write more than they code.\nDaniel Okafor: And they pick problems nobody owns yet.\n"


@dataclass(frozen=True)
class Case:
    name: str  # doc_id, relative to the folder
    expect: str  # "failed" | "added" | "skipped" (never reaches the store, e.g. a link outside)
    reason: str = ""  # a fragment of the error a user sees


def _pdf(pages: list[str], encrypt: str | None = None, draw_only: bool = False) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, encrypt=encrypt)
    for text in pages:
        if draw_only:
            pdf.rect(100, 400, 300, 200, fill=1)  # an "image": marks on the page, no text layer
        elif text:
            pdf.drawString(72, 760, text)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def write_hostile_folder(root: Path, big_line_mb: int = 50) -> list[Case]:
    """Write every case under `root`; returns what each one must do."""
    rng = random.Random(7)
    cases: list[Case] = []

    def put(name: str, data: bytes | str, expect: str, reason: str = "") -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        cases.append(Case(name, expect, reason))

    good_pdf = _pdf(["Staff engineers write design documents.", "Page two talks about mentoring."])
    # --- empty and binary -------------------------------------------------------------
    put("empty.md", b"", "failed", "empty")
    put("whitespace.txt", " \n\t\n  \n", "failed", "empty")
    put("binary-garbage.txt", bytes(rng.getrandbits(8) for _ in range(4096)), "failed", "binary")
    put("png-named.md", b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(2048)), "failed", "binary")
    put("nul-bytes.txt", b"Maya Chen: before\x00the\x00nul\n" * 3, "failed", "binary")
    # --- PDFs ---------------------------------------------------------------------------
    put("truncated.pdf", good_pdf[: len(good_pdf) // 3], "failed", "PDF")
    put("encrypted.pdf", _pdf(["A secret page."], encrypt="hunter2"), "failed", "encrypted")
    put("image-only.pdf", _pdf(["", ""], draw_only=True), "failed", "no extractable text")
    put("malformed.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer <<>>\n%%EOF", "failed", "PDF")
    put("not-a-pdf.pdf", "just some text pretending", "failed", "PDF")
    put("blank-pages.pdf", _pdf([""] * 1500), "failed", "no extractable text")
    put("too-many-pages.pdf", _pdf(["A short mentoring note."] * 2100), "failed", "KB_MAX_PDF_PAGES")
    # --- subtitles ----------------------------------------------------------------------
    put("broken-timestamps.vtt", "WEBVTT\n\n00:00:xx.000 --> soon\n<v Maya Chen>Hello there everyone.\n", "failed", "cue")
    put(
        "no-blank-lines.vtt",
        "WEBVTT\n00:00:01.000 --> 00:00:03.000\n<v Maya Chen>First cue text here.\n00:00:04.000 --> 00:00:06.000\n<v Daniel Okafor>Second cue text here.\n",
        "added",
    )
    put(
        "overlapping.vtt",
        "WEBVTT\n\n00:00:01.000 --> 00:00:09.000\n<v Maya Chen>We talked over each other.\n\n00:00:03.000 --> 00:00:05.000\n<v Daniel Okafor>Yes we did, all the time.\n",
        "added",
    )
    put("broken-timestamps.srt", "1\n00:00:01,000 --> later\nMaya Chen: a cue with a broken time\n\n2\nnot a time at all\ntext\n", "failed", "cue")
    put("header-only.vtt", "WEBVTT\n\n", "failed", "cue")
    # --- encodings and line endings -------------------------------------------------------
    put("latin1.txt", "Maya Chen: Le café était très calme, à vrai dire.\n".encode("latin-1"), "added")
    put("utf16-bom.txt", GOOD_TURNS.encode("utf-16"), "added")
    put("mixed-endings.txt", "Maya Chen: one line.\r\nDaniel Okafor: another line.\rPriya Raman: a third line.\n", "added")
    # --- sizes and labels -----------------------------------------------------------------
    with open(root / "one-huge-line.txt", "wb") as out:
        chunk = ("word " * 200_000).encode()  # 1 MB
        for _ in range(big_line_mb):
            out.write(chunk)
    cases.append(Case("one-huge-line.txt", "failed", "MB"))
    put("long-speaker.txt", ("X" * 10_000) + ": says something about careers.\nMaya Chen: and a normal turn.\n", "added")
    # --- front matter ---------------------------------------------------------------------
    put("bad-yaml.md", "---\ntitle: [unclosed\nkind: essay\n---\n# Body\n\nText.\n", "failed", "front matter")
    bomb = '---\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"
    bomb += "title: *i\n---\nBody text about careers.\n"
    put("yaml-bomb.md", bomb, "failed", "front matter")
    put("python-tag.md", "---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\nBody.\n", "failed", "front matter")
    put("title-is-a-list.md", "---\ntitle: [a, b]\n---\nBody text.\n", "failed", "front matter")
    # --- names ------------------------------------------------------------------------------
    put("two..dots..md", "# Dots\n\nA name with double dots is still a plain name.\n", "added")
    put("café panel ünïcode.txt", GOOD_TURNS, "added")
    put("with spaces/my notes.md", "# Spaces\n\nFolders and files with spaces.\n", "added")
    # --- links, pipes, permissions ------------------------------------------------------------------
    (root / "loop").mkdir()
    os.symlink("..", root / "loop" / "up")  # a folder link back to an ancestor
    outside = root.parent / f"{root.name}-outside.md"
    outside.write_text("# Outside\n\nThis file lives outside the folder.\n", encoding="utf-8")
    os.symlink(outside, root / "link-outside.md")
    cases.append(Case("link-outside.md", "skipped"))
    os.symlink("self-loop.md", root / "self-loop.md")  # a file link to itself: one bad entry, not a failed run
    cases.append(Case("self-loop.md", "failed", "loop"))
    os.symlink("loop-b.txt", root / "loop-a.txt")
    os.symlink("loop-a.txt", root / "loop-b.txt")
    cases.append(Case("loop-a.txt", "failed", "loop"))
    cases.append(Case("loop-b.txt", "failed", "loop"))
    os.mkfifo(root / "pipe.txt")
    cases.append(Case("pipe.txt", "failed", "not a regular file"))
    locked = root / "unreadable.md"
    locked.write_text("# Locked\n\nA file nobody but its owner may read.\n", encoding="utf-8")
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads anything; the case only means something for other users
        cases.append(Case("unreadable.md", "failed", "permission"))
    else:
        cases.append(Case("unreadable.md", "added"))
    return cases


def write_many_tiny_files(root: Path, count: int = 10_000) -> None:
    for index in range(count):
        folder = root / f"batch-{index // 1000:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note-{index:05d}.txt").write_text(f"Note {index}: mentoring tip number {index} is to ask one more question.\n", encoding="utf-8")
