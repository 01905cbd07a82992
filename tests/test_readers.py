"""Each reader on real files: the contract's metadata, speakers, times, pages and sections."""

from __future__ import annotations

import pytest

from ingest.errors import ReadError
from ingest.readers import read_document
from tests.conftest import ESSAY_MD, PANEL_TXT, TALK_VTT, make_pdf


def test_speaker_text_with_timestamps() -> None:
    turns = read_document("staff-panel.txt", PANEL_TXT.encode())
    assert [t.metadata["speaker"] for t in turns] == ["Maya Chen", "Sam Ortiz", "Maya Chen", "Lee Park"]
    assert turns[0].metadata["start_seconds"] == 5 and turns[0].metadata["end_seconds"] == 70
    assert turns[0].metadata["kind"] == "transcript"
    assert turns[0].metadata["title"] == "Staff panel"
    assert turns[0].metadata["speakers"] == ["Maya Chen", "Sam Ortiz", "Lee Park"]


def test_speaker_text_without_timestamps_and_with_paragraphs() -> None:
    text = "Ana Silva: First point.\nIt continues on a second line.\n\nBo Kim: Reply here.\nAna Silva: Done.\n"
    turns = read_document("roundtable.txt", text.encode())
    assert [t.metadata["speaker"] for t in turns] == ["Ana Silva", "Bo Kim", "Ana Silva"]
    assert "second line" in turns[0].text
    assert turns[0].metadata["start_seconds"] is None


def test_plain_prose_with_a_colon_is_not_a_transcript() -> None:
    text = "Note: this essay is about feedback.\nFeedback should be specific and timely, and it should arrive soon.\n"
    units = read_document("essay.txt", text.encode())
    assert units[0].metadata["kind"] == "essay" and units[0].metadata["unit"] == "text"


def test_webvtt_voices_and_unnamed_cues_continue_the_speaker() -> None:
    turns = read_document("talk.vtt", TALK_VTT.encode())
    assert [t.metadata["speaker"] for t in turns] == ["Priya Raman", "Daniel Okafor"]
    assert "owns technical direction" in turns[0].text  # the unnamed cue joined Priya's turn
    assert (turns[0].metadata["start_seconds"], turns[0].metadata["end_seconds"]) == (1.0, 8.0)


def test_webvtt_chevrons_and_bracket_labels() -> None:
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n>> MAYA CHEN: Hello.\n\n00:00:02.000 --> 00:00:03.000\n[Sam Ortiz] Hi Maya.\n\n00:00:03.000 --> 00:00:04.000\n>> and one more thing\n"
    turns = read_document("t.vtt", vtt.encode())
    assert [(t.metadata["speaker"], t.text) for t in turns] == [("Maya Chen", "Hello."), ("Sam Ortiz", "Hi Maya. and one more thing")]


def test_subrip_with_leading_names() -> None:
    srt = "1\n00:00:01,000 --> 00:00:03,000\nGrace Liu: Managers hold one-on-ones.\n\n2\n00:00:03,500 --> 00:00:05,000\nThey belong to the report.\n\n3\n00:01:00,000 --> 00:01:02,000\nTomás Alvarez: Agreed.\n"
    turns = read_document("panel.srt", srt.encode())
    assert [t.metadata["speaker"] for t in turns] == ["Grace Liu", "Tomás Alvarez"]
    assert turns[0].text == "Managers hold one-on-ones. They belong to the report."
    assert turns[1].metadata["start_seconds"] == 60.0


def test_subtitles_without_any_names_keep_speaker_null() -> None:
    srt = "1\n00:00:01,000 --> 00:00:03,000\nsomeone talking\n"
    turns = read_document("anon.srt", srt.encode())
    assert turns[0].metadata["speaker"] is None


def test_markdown_front_matter_sets_the_metadata() -> None:
    units = read_document("essays/feedback.md", ESSAY_MD.encode())
    meta = units[0].metadata
    assert (meta["title"], meta["author"], meta["kind"], meta["unit"]) == ("On feedback", "Test Author", "essay", "markdown")


def test_markdown_title_falls_back_to_the_first_heading_then_the_file_name() -> None:
    assert read_document("x.md", b"# Real title\n\nBody.")[0].metadata["title"] == "Real title"
    assert read_document("staying-senior.md", b"Body only.")[0].metadata["title"] == "Staying senior"


def test_book_notes_are_guessed_from_chapter_headings() -> None:
    text = "# Notes\n\n## Chapter 1: Start\n\nText.\n\n## Chapter 2: More\n\nText.\n"
    assert read_document("reading.md", text.encode())[0].metadata["kind"] == "book_notes"


def test_forced_kind_wins(tmp_path) -> None:
    assert read_document("x.md", b"Plain text.", kind="book_notes")[0].metadata["kind"] == "book_notes"


def test_pdf_pages_keep_their_numbers(tmp_path) -> None:
    pdf = make_pdf(
        tmp_path / "essay.pdf", ["A PDF essay\nFirst page about sponsors.\npage 1", "", "- 3 -\nThird page about mentors."], title="A PDF essay"
    )
    pages = read_document("essay.pdf", pdf.read_bytes())
    assert [p.metadata["page"] for p in pages] == [1, 3]  # the blank page has no text
    assert pages[0].metadata["title"] == "A PDF essay"
    assert pages[1].text == "Third page about mentors."  # running page numbers dropped
    assert pages[0].text == "First page about sponsors."  # the repeated title line is the header already


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.md", b"   \n", "empty"),
        ("binary.txt", b"\x00\x01\x02garbage\x00", "binary"),
        ("bad.pdf", b"%PDF-1.4 truncated", "PDF"),
        ("front.md", b"---\ntitle: [unclosed\n---\nBody", "front matter"),
        ("kind.md", b"---\nkind: poem\n---\nBody", "kind 'poem'"),
        ("notes.docx", b"PK\x03\x04", "unsupported file type"),
        ("broken.vtt", b"not a vtt file at all", "WebVTT"),
    ],
)
def test_bad_files_get_a_clear_error(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read_document(name, data)


def test_latin1_and_utf16_text_is_decoded() -> None:
    latin = "Tomás Alvarez: Olá, café.\nGrace Liu: Merci.\n".encode("latin-1")
    assert read_document("l.txt", latin)[0].text == "Olá, café."
    utf16 = "Tomás Alvarez: Olá.\r\nGrace Liu: Merci.\r\n".encode("utf-16")
    assert [t.metadata["speaker"] for t in read_document("u.txt", utf16)] == ["Tomás Alvarez", "Grace Liu"]


def test_front_matter_uses_a_safe_loader() -> None:
    with pytest.raises(ReadError):
        read_document("evil.md", b"---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\nBody")


def _paper(path, outline: bool = True):
    """A four-page paper as a typesetter lays it out: running header and footer, a contents page, hyphenated line ends."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    bodies = [
        ["Contents", "1 Introduction . . . . . . . . . . 2", "2 Designing interfaces . . . . . . 3", "2.1 Easy to learn ............ 4"],
        [
            "Interfaces are hard to mem-",
            "orize when they change often, and a well-known rule says keep",
            "them small. A well-",
            "known rule is still a rule.",
        ],
        ["API de-", "sign starts from the callers and the names they will read every day."],
        ["Hints for callers: prefer plain data to clever objects, and keep errors explicit for every call."],
    ]
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number, lines in enumerate(bodies, start=1):
        pdf.bookmarkPage(f"p{number}")
        pdf.bookmarkPage(f"p{number}b")  # a second name for the page: each outline entry needs its own
        if outline and number == 2:
            pdf.addOutlineEntry("1 Introduction", "p2", level=0)
        if outline and number == 3:
            pdf.addOutlineEntry("2 Designing interfaces", "p3", level=0)
            pdf.addOutlineEntry("2.1 Easy to learn", "p3b", level=1)
        pdf.drawString(72, A4[1] - 40, f"Hints for Interface Design July 1983 {number}")
        y = A4[1] - 90
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 16
        pdf.drawString(72, 40, f"Proceedings of the Workshop on Interfaces, page {number} of 4")
        pdf.showPage()
    pdf.save()
    return path


def test_pdf_running_headers_hyphens_and_contents_are_cleaned_and_the_outline_gives_sections(tmp_path) -> None:
    pages = read_document("paper.pdf", _paper(tmp_path / "paper.pdf").read_bytes())
    text = "\n".join(p.text for p in pages)
    assert "July 1983" not in text and "Proceedings of the Workshop" not in text  # running header and footer
    assert ". . . ." not in text and "......" not in text  # the contents lines
    assert "memorize when they change" in " ".join(text.split()) and "API design starts" in " ".join(text.split())
    assert "well-known rule says" in text and "A well-known rule is still" in " ".join(text.split())  # a real compound keeps its hyphen
    sections = {p.metadata["page"]: p.metadata.get("section") for p in pages}
    assert sections[2] == "1 Introduction" and sections[3] == "2 Designing interfaces > 2.1 Easy to learn" and sections[4] == sections[3]


def test_pdf_without_an_outline_or_repeats_keeps_every_line(tmp_path) -> None:
    pdf = make_pdf(tmp_path / "short.pdf", ["A short note on feedback.\nIt has two lines.", "Second page, different words."])
    pages = read_document("short.pdf", pdf.read_bytes())
    assert pages[0].text == "A short note on feedback.\nIt has two lines." and "section" not in pages[0].metadata


def _speakers(units) -> list[str | None]:
    return [u.metadata["speaker"] for u in units]


@pytest.mark.parametrize(
    "text",
    [
        "Speaker 0: We should move the billing job first.\nSpeaker 1: Agreed, it blocks the others.\nSpeaker 0: Then the search index.\n",
        "SPEAKER_00: We should move the billing job first.\nSPEAKER_01: Agreed, it blocks the others.\nSPEAKER_00: Then the search index.\n",
        "Speaker 0 (00:00:01): We should move the billing job first.\nSpeaker 1 (00:00:04): Agreed, it blocks the others.\nSpeaker 0 (00:00:09): Then the search index.\n",
        "[00:00:01.000 --> 00:00:03.500] SPEAKER_00: We should move the billing job first.\n"
        "[00:00:04.000 --> 00:00:08.000] SPEAKER_01: Agreed, it blocks the others.\n[00:00:09.000 --> 00:00:11.000] SPEAKER_00: Then the search index.\n",
        "Speaker 0  0:01\nWe should move the billing job first.\n\nSpeaker 1  0:04\nAgreed, it blocks the others.\n\nSpeaker 0  0:09\nThen the search index.\n",
        "Speaker 0 (00:00:01):\nWe should move the billing job first.\n\nSpeaker 1 (00:00:04):\nAgreed, it blocks the others.\n\nSpeaker 0 (00:00:09):\nThen the search index.\n",
        "**[00:01] SPEAKER_00:** We should move the billing job first.\n\n**[00:04] SPEAKER_01:** Agreed, it blocks the others.\n\n**[00:09] SPEAKER_00:** Then the search index.\n",
        "[00:00:01 → 00:00:03] SPEAKER_00:\n    We should move the billing job first.\n\n[00:00:04 → 00:00:08] SPEAKER_01:\n    Agreed, it blocks the others.\n\n"
        "[00:00:09 → 00:00:11] SPEAKER_00:\n    Then the search index.\n",
    ],
    ids=["speaker-n", "pyannote", "rev-inline", "whisperx", "otter", "rev", "markdown-bold", "arrow-header"],
)
def test_diarizer_and_export_labels_are_turns(text: str) -> None:
    units = read_document("meeting.txt", text.encode())
    assert units[0].metadata["kind"] == "transcript"
    labels = ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"] if "SPEAKER_" in text else ["Speaker 0", "Speaker 1", "Speaker 0"]
    assert _speakers(units) == labels  # machine labels kept as written (front matter can map them to people)
    assert units[1].text == "Agreed, it blocks the others."
    if "0:0" in text:
        assert units[1].metadata["start_seconds"] == 4


def test_labels_map_to_people_from_front_matter() -> None:
    text = "---\ntitle: Planning\nspeakers:\n  SPEAKER_00: Maya Chen\n  SPEAKER_01: Lee Park\n---\nSPEAKER_00: Billing first.\nSPEAKER_01: Agreed.\nSPEAKER_00: Then search.\n"
    units = read_document("planning.txt", text.encode())
    assert _speakers(units) == ["Maya Chen", "Lee Park", "Maya Chen"] and units[0].metadata["speakers"] == ["Maya Chen", "Lee Park"]
    with pytest.raises(ReadError, match="speakers"):
        read_document("bad.txt", b"---\nspeakers:\n  SPEAKER_00: [1, 2]\n---\nSPEAKER_00: Hi.\nSPEAKER_01: Hello.\n")


def test_caption_lines_ending_in_a_colon_need_evidence_to_be_speakers() -> None:
    cues = [
        ("00:00:01,000", "00:00:04,000", "Let us start with a background:\nwhy interfaces matter."),
        ("00:00:04,000", "00:00:08,000", "SteelCore:\na system we built in 2019."),
        ("00:00:08,000", "00:00:12,000", "It kept its interfaces small for years."),
    ]
    srt = "\n".join(f"{i}\n{a} --> {b}\n{text}\n" for i, (a, b, text) in enumerate(cues, start=1))
    units = read_document("talk.srt", srt.encode())
    assert set(_speakers(units)) == {None}
    assert "Let us start with a background: why interfaces matter." in units[0].text


def test_a_name_keeps_the_case_the_transcript_writes_it_in() -> None:
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n>> HOST: Welcome Matt McCutchen to the show.\n\n00:00:04.000 --> 00:00:08.000\n>> MATT MCCUTCHEN: Thanks for having me here.\n\n00:00:08.000 --> 00:00:12.000\n>> HOST: Let us begin then.\n"
    units = read_document("show.vtt", vtt.encode())
    assert _speakers(units) == ["Host", "Matt McCutchen", "Host"]


def test_unnamed_turns_and_sound_tags() -> None:
    text = ">> Thank you all for coming. (applause)\n>> It is good to be here. [MUSIC]\n>> Let us talk about design reviews and how they fail.\n>> They fail when nobody reads the document first.\n"
    units = read_document("talk.txt", text.encode())
    assert units[0].metadata["kind"] == "transcript" and len(units) == 4 and set(_speakers(units)) == {None}
    from kb.text.sentences import clean_spoken

    assert clean_spoken(units[0].text) == "Thank you all for coming." and clean_spoken(units[1].text) == "It is good to be here."


def test_contents_pages_without_leaders_and_ligatures_are_cleaned() -> None:
    from ingest.readers.pdf_cleanup import clean_pages

    contents = "Contents\n1 Introduction 5\n2 Characteristics of Good APIs 7\n3 The Design Process 15\n4 Design Guidelines 21"
    prose = "Good APIs are easy to learn, and their names are reﬂected in the code that calls them.\nA chapter has 12"
    cleaned = dict(clean_pages([(1, contents), (2, prose)]))
    assert cleaned[1] == "Contents"
    assert "reflected in the code" in cleaned[2] and cleaned[2].endswith("A chapter has 12")  # one numbered line is prose


ROLLING_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.000 --> 00:00:02.000 align:start position:0%
 
hello<00:00:00.500><c> everyone</c><00:00:01.000><c> welcome</c>

00:00:02.000 --> 00:00:02.010 align:start position:0%
hello everyone welcome
 

00:00:02.010 --> 00:00:04.000 align:start position:0%
hello everyone welcome
to<00:00:02.500><c> the</c><00:00:03.000><c> show</c>

00:00:04.000 --> 00:00:04.010 align:start position:0%
to the show
 

00:00:04.010 --> 00:00:06.000 align:start position:0%
to the show
today<00:00:04.500><c> we</c><00:00:05.000><c> talk</c><00:00:05.500><c> about</c><00:00:05.800><c> sponsors</c>
"""


def test_rolling_captions_are_read_once() -> None:
    """YouTube's automatic captions repeat the previous line at the top of each cue."""
    (turn,) = read_document("talk.vtt", ROLLING_VTT.encode())
    assert turn.text == "hello everyone welcome to the show today we talk about sponsors"
    assert turn.metadata["cue_marks"] == [0.0, 0.0, 3.0, 2.0, 6.0, 4.0]  # each new phrase keeps its own time (whole seconds)
