"""Real files' shapes that read wrong: hard-wrapped live captions, sound tags, long monologues, PDFs.

Every text here is written for these tests, in the shapes of the real files (talk captions
from a conference's CART writer, caption files of hour-long sessions, papers and manuals).
All calls are in-process and fast.
"""

from __future__ import annotations

import textwrap

import pytest

from ingest.readers import read_document
from kb.models import Passage


def _wrapped(text: str, width: int = 40) -> str:
    """A paragraph as a live captioner writes it: a few words a line."""
    return "\n".join(textwrap.wrap(text, width))


HOST_OPENING = (
    "Hello again! Before we start, a few announcements. The wireless password is on the board, the quiet room is "
    "down the hall, and please read our code of conduct on the website if you have not yet."
)
HOST_INTRO = (
    "Our sponsors made the live captions possible, so thank them when you see them. Today it is my pleasure to "
    "introduce our keynote speaker, Dana Whitfield. She maintains a database you have all used and she said yes to "
    "our invitation in one line, which made us very happy. So let's welcome Dana."
)
TALK = (
    "Thank you. Good morning, everybody. I want to tell you how I fell in love with programming, how I nearly fell "
    "out of love with it, and what brought me back. It starts with a borrowed computer and a manual that nobody else "
    "wanted to read. I typed in programs from magazines and most of them did not work, and fixing them taught me more "
    "than the ones that did. "
) * 6
HOST_CLOSING = "Thank you! That was wonderful. We will take a short break now, so have some coffee."


def keynote_captions() -> str:
    """The shape of a conference keynote's captions: six ` >> ` turns among many wrapped lines, (applause) between."""
    parts = [
        " >> All right. You came back!",
        "(applause)",
        " >> " + _wrapped(HOST_OPENING),
        " >> Yay! Thank you, sponsors!",
        " >> " + _wrapped(HOST_INTRO),
        "(applause)",
        " >> " + _wrapped(TALK),
        "(applause)",
        " >> " + _wrapped(HOST_CLOSING),
    ]
    return "\n\n".join(parts) + "\n"


def test_hard_wrapped_caption_turns_are_a_transcript_and_the_introduced_speaker_is_named() -> None:
    text = keynote_captions()
    assert len(text.splitlines()) > 60  # few openers among many lines: the share-of-lines rule alone misses it
    units = read_document("keynote.txt", text.encode())
    assert units[0].metadata["kind"] == "transcript"
    assert len(units) == 6
    speakers = [unit.metadata["speaker"] for unit in units]
    assert speakers == [None, None, None, None, "Dana Whitfield", None]  # the host is never named: null
    assert units[4].text.startswith("Thank you. Good morning") and "brought me back" in units[4].text
    assert "So let's welcome Dana." in units[3].text


def test_email_quoting_and_python_prompts_are_not_turns() -> None:
    email = (
        "On Monday, Sam wrote:\n>> I think we should ship the new search on Friday\n>> after the last review.\n"
        "> Friday is risky, we have no one on call.\n\nI agree with Sam, but the review can wait.\n"
        ">> Then we ship on Monday\n>> with the team in.\nThat works for me.\n"
    )
    prompts = (
        "A short tour of the library.\n\n>>> import panel\nnothing is printed\n>>> panel.open()\n"
        "a window opens\n>>> panel.close()\nthe window closes\n>>> panel.status()\n'closed'\n"
    )
    for name, text in (("reply.txt", email), ("tour.txt", prompts)):
        units = read_document(name, text.encode())
        assert units[0].metadata["kind"] == "essay", name
        assert len(units) == 1


def test_wrapped_turns_with_caption_capital_labels_are_a_transcript_but_admonitions_are_not() -> None:
    talk = "\n".join(
        [
            "ROSA:  " + _wrapped("Okay. Can everyone hear me? Good. I am going to talk about knitting machines and how " * 3, 64),
            "AUDIENCE MEMBER:  Yes!",
            "ROSA:  " + _wrapped("Great. So the first machine I bought was broken, and that is how I learned to read its firmware. " * 4, 64),
            "AUDIENCE MEMBER:  Louder, please.",
            "ROSA:  " + _wrapped("Sorry. Is this better? The firmware was written in nineteen eighty-four and it still runs. " * 3, 64),
        ]
    )
    units = read_document("knitting-talk.txt", talk.encode())
    assert units[0].metadata["kind"] == "transcript"
    assert [u.metadata["speaker"] for u in units] == ["Rosa", "Audience Member", "Rosa", "Audience Member", "Rosa"]
    notes = "\n".join(
        [
            "NOTE: " + _wrapped("this essay assumes you have run a build before and know what a cache is. " * 2, 64),
            "WARNING: " + _wrapped("the numbers below come from one machine and will differ on yours. " * 2, 64),
            "Caches fail in two ways, and both are quiet.",
            "NOTE: " + _wrapped("the second way is the one that costs the most time to find. " * 2, 64),
            "WARNING: " + _wrapped("never clear the cache of a shared runner while builds run on it. " * 2, 64),
        ]
    )
    assert read_document("caches.txt", notes.encode())[0].metadata["kind"] == "essay"


def test_an_introduction_names_the_next_turn_only_when_it_names_one_person() -> None:
    text = "\n\n".join(
        [
            ">> " + _wrapped("Welcome back. Next up, we have Priya, who will talk about compilers. Then we have Tom and Ines."),
            ">> " + _wrapped("Hi everyone. Compilers are friendlier than you think, and I will show you three of them today. " * 2),
            ">> " + _wrapped("Thank you Priya! Please welcome Tom Akers. And after him, give it up for Ines!"),
            ">> " + _wrapped("Hello. I build tools for people who hate tools, which is most of us on a Monday. " * 2),
            ">> " + _wrapped("Wonderful. Now please welcome Ines Moreau."),
            ">> " + _wrapped("Thanks. I am Ines, and this is about maps. Maps lie, and I will show you how they do it. " * 2),
        ]
    )
    units = read_document("talks.txt", text.encode())
    assert units[0].metadata["kind"] == "transcript"
    # "Priya" alone: the file writes no full name starting with it; two people introduced at once name no one.
    assert [u.metadata["speaker"] for u in units] == [None, "Priya", None, None, None, "Ines Moreau"]


def test_a_label_on_its_own_line_then_a_chevron_turn_is_one_named_turn() -> None:
    text = (
        "Ada Lind:\n>> Oh, the projector changed resolution on me. Something is not\n   happening here. Give me a minute.\n\n"
        "Ben Okoro:\n>> Stay tuned, this talk is going to be great.\n\n"
        "Ada Lind:\n>> Thanks. So, let me start with the problem\n   I could not solve for a year.\n"
    )
    units = read_document("talk.txt", text.encode())
    assert units[0].metadata["kind"] == "transcript"
    assert [u.metadata["speaker"] for u in units] == ["Ada Lind", "Ben Okoro", "Ada Lind"]
    assert units[0].text.startswith("Oh, the projector")


def _passage(text: str, kind: str) -> Passage:
    return Passage(text=text, score=1.0, doc_id=f"doc.{kind}", title="Doc", kind=kind, source="doc", chunk_id="c1")


SOUND_TAGS = ("(applause)", "(APPLAUSE)", "[Laughter]", "[MUSIC]", "♪", "(laughter)", "[ Short Break ]", "(audience laughs)")


def test_sound_tags_are_never_quoted_in_any_kind_of_document() -> None:
    from kb.answers.units import quotable_units
    from kb.text.quote_spans import quote_span

    text = (
        "So let's welcome our speaker. (applause)\n"
        "(APPLAUSE) And on that note I want to thank the people who made the captions possible today.\n"
        "[Laughter] The build broke twice before lunch, which is a record even for us.\n"
        "♪ la la la ♪\n[MUSIC] We ship on Fridays only when somebody is on call that weekend.\n"
        "(laughter) [ Short Break ] (audience laughs)\n"
        "The music matters too (music matters to everyone), and it changed how I write code."
    )
    for kind in ("essay", "transcript", "book_notes"):
        passage = _passage(text, kind)
        units = quotable_units(passage)
        said = [unit.text for unit in units]
        assert not any(tag.lower() in quote.lower() for quote in said for tag in SOUND_TAGS), (kind, said)
        assert any(quote.startswith("And on that note I want to thank") for quote in said), (kind, said)
        assert any(quote.startswith("We ship on Fridays") for quote in said), (kind, said)
        for unit in units:  # each quote still points at its words in the verbatim text
            assert quote_span(passage.text, unit.line, unit.text) is not None
    essay = [unit.text for unit in quotable_units(_passage(text, "essay"))]
    assert any("(music matters to everyone)" in quote for quote in essay)  # a parenthesis that is prose stays


def test_sound_tags_are_stored_but_not_embedded() -> None:
    from llama_index.core.schema import Document

    from ingest.chunking import chunk_units

    body = "Thank you all for coming.\n\n(applause)\n\nI want to talk about builds that break on Fridays. [Laughter] They always do."
    drafts = chunk_units([Document(text=body, metadata={"title": "Talk", "unit": "text"})], lambda text: len(text.split()) + 2)
    assert len(drafts) == 1
    assert "(applause)" in drafts[0].text and "[Laughter]" in drafts[0].text  # no text lost
    assert "applause" not in drafts[0].embed_text.lower() and "laughter" not in drafts[0].embed_text.lower()
    assert "builds that break on Fridays. They always do." in drafts[0].embed_text


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d},{int(round((seconds - whole) * 1000)):03d}"


def _srt(cues: list[tuple[float, float, str]]) -> str:
    return "\n".join(f"{n}\n{_clock(start)} --> {_clock(end)}\n{text}\n" for n, (start, end, text) in enumerate(cues, start=1))


def _monologue(words_per_cue: int, minutes: int = 15, cue_seconds: float = 5.0) -> list[tuple[float, float, str]]:
    """One speaker for `minutes` in `cue_seconds` cues; sentences run across cues, as captions cut them."""
    vocabulary = ["the", "build", "queue", "waits", "while", "the", "compiler", "reads", "every", "module", "twice", "before", "linking"]
    cues, said = [], 0
    for n in range(int(minutes * 60 / cue_seconds)):
        words = []
        for _ in range(words_per_cue):
            word = vocabulary[said % len(vocabulary)]
            words.append(word.capitalize() if said % 9 == 0 else word)
            said += 1
            if said % 9 == 0:
                words[-1] += "."
        text = " ".join(words)
        cues.append((n * cue_seconds, (n + 1) * cue_seconds, f"Maya Chen: {text}" if n == 0 else text))
    return cues


def _passages_of(name: str, data: str):
    from ingest.chunking import chunk_units

    return chunk_units(read_document(name, data.encode()), lambda text: len(text.split()) + 2)


@pytest.mark.parametrize("words_per_cue", [12, 3])  # speaking pace, and slow speech (demos, slides) where few words fill minutes
def test_a_long_monologue_is_cut_by_time_as_well_as_words(words_per_cue: int) -> None:
    from ingest.chunking.turn_chunker import MAX_PASSAGE_SECONDS

    cues = _monologue(words_per_cue)
    passages = _passages_of("lecture.srt", _srt(cues))
    assert len(passages) > 1
    spoken = [word for _, _, text in cues for word in text.removeprefix("Maya Chen: ").split()]
    stored = [word for p in passages for line in p.text.split("\n") for word in line.removeprefix("Maya Chen: ").split()]
    assert stored == spoken  # no word lost, none repeated, in order
    for passage, following in zip(passages, passages[1:] + [None]):
        assert passage.speaker == "Maya Chen" and passage.text.startswith("Maya Chen: ")
        assert passage.start_seconds < passage.end_seconds
        assert passage.end_seconds - passage.start_seconds <= MAX_PASSAGE_SECONDS, (passage.start_seconds, passage.end_seconds)
        if following is not None:
            assert passage.end_seconds <= following.start_seconds
    assert passages[0].start_seconds == 0 and passages[-1].end_seconds == cues[-1][1]


def test_short_turns_far_apart_are_not_packed_into_a_long_passage() -> None:
    from ingest.chunking.turn_chunker import MAX_PASSAGE_SECONDS

    cues = []
    for n in range(12):  # two people, a short remark every 100 seconds (a workshop with long silences)
        name = "Ana Silva" if n % 2 == 0 else "Bo Kim"
        cues.append((n * 100.0, n * 100.0 + 6, f"{name}: Remark number {n} about the failing build and the flaky test."))
    passages = _passages_of("workshop.srt", _srt(cues))
    assert sum(len(p.text.split("\n")) for p in passages) == 12
    assert all(p.end_seconds - p.start_seconds <= MAX_PASSAGE_SECONDS for p in passages)


def _pdf_passages(tmp_path, pages: list[str], outline: list[tuple[str, int]] | None = None, name: str = "manual.pdf"):
    """A PDF laid out line by line (as pypdf reads papers and manuals), read and chunked, as stored passages."""
    from ingest.chunking import chunk_units
    from tests.conftest import make_pdf

    path = make_pdf(tmp_path / name, pages)
    units = read_document(name, path.read_bytes())
    drafts = chunk_units(units, lambda text: len(text.split()) + 2)
    return units, [
        Passage(text=d.text, score=1.0, doc_id=name, title="Manual", kind=units[0].metadata["kind"], source=name, chunk_id=f"c{i}", page=d.page)
        for i, d in enumerate(drafts)
    ]


EASY = (
    "An easy-to-learn API is consistent: it names similar things the same way in every module, so what a programmer "
    "learns in one place holds in the next. Its names say what they do, and the common case needs no manual at all. "
)
MINIMAL = (
    "A minimal API has as few public members per class as it can, and as few classes as it can. This makes it easier "
    "to understand, to remember, to debug and to change, and it leaves room to grow without breaking the callers. "
)


def test_a_pdf_heading_is_never_glued_to_its_paragraph(tmp_path) -> None:
    from kb.answers.units import quotable_units

    page = "\n".join(
        [
            "Good APIs share a handful of traits, and this chapter names them one by one.",
            *textwrap.wrap(MINIMAL * 2, 90),
            "2.1 Easy to learn and memorize",
            *textwrap.wrap(EASY * 2, 90),
            "Hard to misuse",
            *textwrap.wrap(MINIMAL, 90),
        ]
    )
    _, passages = _pdf_passages(tmp_path, [page])
    units = [unit.text for passage in passages for unit in quotable_units(passage)]
    assert (
        "An easy-to-learn API is consistent: it names similar things the same way in every module, so what a programmer learns in one place holds in the next."
        in units
    )
    assert not any("memorize" in unit or "Hard to misuse" in unit for unit in units), units  # a heading is no sentence, nor part of one
    assert any(line == "2.1 Easy to learn and memorize" for passage in passages for line in passage.text.split("\n"))  # kept, on its own line


def test_a_sentence_cut_by_a_page_break_is_whole_on_its_first_page_and_an_epigraph_is_not_quoted(tmp_path) -> None:
    from kb.answers.units import quotable_units

    first = textwrap.wrap(EASY + "The last point of this page is that a good API is designed by writing the code that calls", 90)
    second = [
        "it first, and only then the code behind it.",
        *textwrap.wrap(MINIMAL, 90),
        "3 The Design Process",
        "“Simplicity is prerequisite for reliability.”",
        "— E. W. Dijkstra",
        *textwrap.wrap(EASY, 90),
    ]
    _, passages = _pdf_passages(tmp_path, ["\n".join(first), "\n".join(second)])
    by_page = {p.page: [u.text for u in quotable_units(p)] for p in passages}
    whole = "The last point of this page is that a good API is designed by writing the code that calls it first, and only then the code behind it."
    assert whole in by_page[1]
    assert not any(unit.startswith("it first") for unit in by_page[2])
    assert not any("Simplicity is prerequisite" in unit or "Dijkstra" in unit for unit in by_page[2]), by_page[2]
    assert by_page[2][0].startswith("A minimal API has as few public members")
    words = " ".join(p.text for p in passages).split()
    assert len(words) == len(" ".join(first + second).split())  # moved, not lost


def _pdf_with_outline(path, chapters: list[tuple[str, str]]) -> bytes:
    """A manual: one chapter a page, each a bookmark in the PDF's own outline."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number, (heading, body) in enumerate(chapters, start=1):
        pdf.bookmarkPage(f"ch{number}")
        pdf.addOutlineEntry(heading, f"ch{number}", level=0)
        y = A4[1] - 72
        for line in [heading, *textwrap.wrap(body, 90)]:
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path.read_bytes()


def test_a_manual_with_chapters_is_not_book_notes_without_notes_like_evidence(tmp_path) -> None:
    chapters = [
        ("Chapter 1 Introduction", MINIMAL * 2),
        ("Chapter 2 Characteristics of Good APIs", EASY * 2),
        ("Chapter 3 The Design Process", MINIMAL),
    ]
    with_outline = _pdf_with_outline(tmp_path / "manual.pdf", chapters)
    assert read_document("api-design-manual.pdf", with_outline)[0].metadata["kind"] == "essay"
    plain = "\n\n".join(f"## {heading}\n\n{body}" for heading, body in chapters)
    assert read_document("api-design.md", plain.encode())[0].metadata["kind"] == "essay"  # chapters alone: a book's too
    notes = "# My notes on the manual\n\n" + "\n\n".join(f"## {heading}\n\n- {body}" for heading, body in chapters)
    assert read_document("api-design.md", notes.encode())[0].metadata["kind"] == "book_notes"
    assert read_document("api-design-book-notes.pdf", with_outline)[0].metadata["kind"] == "book_notes"  # its name says so


def test_notes_and_readmes_with_title_case_labels_are_not_wrapped_captions() -> None:
    notes = (
        "Action Items: ship the migration by Friday and make sure\n"
        "the on-call team knows which dashboards change and\n"
        "who to page when the new queue backs up.\n"
        "Open Questions: who owns the pager rotation after the\n"
        "reorg, and how do we pay for the extra week of\n"
        "cover that the holidays will need this year.\n"
        "Decisions Made: we keep the monolith for now and revisit\n"
        "the split after the next two launches are out.\n"
    )
    assert read_document("meeting-notes.md", notes.encode())[0].metadata["kind"] != "transcript"


def test_an_introduction_names_only_a_capitalised_name() -> None:
    from ingest.readers.speaker_text import _introduced

    for text in ("So let's welcome questions.", "Give it up for yourselves!", "Next up, is lunch.", "first up, we have coffee!"):
        assert _introduced(text) is None, text
    assert _introduced("Let's welcome Camille to the stage.") == "Camille"


def test_notes_without_full_stops_keep_every_line_quotable() -> None:
    from kb.answers.units import quotable_units
    from kb.models import Passage

    lines = ["Sponsorship beats mentorship when you want to be promoted", "The hardest part of the job is saying no to good ideas"]
    notes = Passage(text="\n".join(lines), score=1.0, doc_id="n.md", title="Notes", kind="book_notes", source="n.md", chunk_id="c")
    assert [unit.text for unit in quotable_units(notes)] == lines
    pdf = notes.model_copy(update={"page": 3, "text": "Easy to learn and memorize\nAn easy-to-learn API is consistent and small."})
    assert [unit.text for unit in quotable_units(pdf)] == ["An easy-to-learn API is consistent and small."]  # the PDF's heading is not


def test_written_words_that_look_like_sound_tags_stay_and_a_page_break_abbreviation_does_not_end_a_sentence() -> None:
    from ingest.readers.kind_guess import guess_kind
    from ingest.readers.pdf_cleanup import join_page_breaks
    from kb.text.sentences import strip_sound_tags

    essay = "Declare the cache field (static) so it is shared. See the [Music](https://example.org) page, then (pause) again."
    assert strip_sound_tags(essay) == essay
    assert strip_sound_tags("(applause) Thank you. [Laughter]") == "Thank you."
    pages = join_page_breaks([(1, "The manual says it plainly, which meant that"), (2, "p. 12 of the manual says so. Then the next part.")], "")
    assert pages == [(1, "The manual says it plainly, which meant that\np. 12 of the manual says so."), (2, "Then the next part.")]
    notes_export = "My notes on Staff Engineer\n- archetypes: tech lead, architect, solver, right hand\n- write the strategy down\n"
    assert guess_kind("export.pdf", notes_export, has_turns=False, has_outline=True) == "book_notes"  # a notes app's export keeps an outline
    assert guess_kind("manual.pdf", "Chapter 1 Design\nChapter 2 Naming\nAn API is ...", has_turns=False, has_outline=True) == "essay"
