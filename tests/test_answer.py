"""Extractive answers: cited, attributed, within the word cap, honest when nothing is relevant."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest import ingest_paths
from kb.answers.markers import count_words, keep_valid_markers
from kb.answers.relevance import NOTHING_RELEVANT
from kb.errors import InvalidInput
from kb.models import Passage, SearchFilters
from kb.text.sentences import clean_spoken
from tests.conftest import write


@pytest.fixture
def filled(kb, small_corpus: Path):
    ingest_paths([small_corpus], kb)
    return kb


def markers(answer: str) -> list[int]:
    return [int(m) for m in re.findall(r"\[(\d+)\]", answer)]


def test_every_marker_resolves_and_every_citation_is_used(filled) -> None:
    response = filled.ask("who owns technical direction and delivery commitments?")
    assert response.answered
    numbers = {p.n for p in response.citations}
    assert numbers == set(range(1, len(response.citations) + 1))
    assert set(markers(response.answer)) == numbers


def test_transcript_sentences_say_who_said_it_where_and_when(filled) -> None:
    response = filled.ask("who owns technical direction?", filters=SearchFilters(doc_id="talk.vtt"))
    assert "Priya Raman, Talk, 00:00:01: " in response.answer


def test_the_word_cap_holds_without_counting_markers(filled) -> None:
    for cap in (20, 60):
        response = filled.ask("what do staff engineers do and why does sponsorship matter?", max_words=cap)
        assert 0 < count_words(response.answer) <= cap


def test_nothing_relevant_is_said_plainly_with_related_passages(filled) -> None:
    response = filled.ask("how long should sourdough bread proof in a cold oven?")
    assert not response.answered
    assert response.answer == NOTHING_RELEVANT and markers(response.answer) == []
    assert response.citations  # the nearest passages, as related


def test_speaker_filter_limits_citations_to_that_speaker(filled) -> None:
    response = filled.ask("what matters for staff engineers?", filters=SearchFilters(speaker="Lee Park"))
    assert response.citations and all("Lee Park" in p.speakers for p in response.citations)


def test_questions_are_not_picked_as_answers(filled) -> None:
    response = filled.ask("who owns technical direction?")
    assert "?" not in response.answer


def test_invented_markers_are_removed() -> None:
    citation = Passage(n=1, text="t", score=1.0, doc_id="d", title="T", kind="essay", source="d", chunk_id="c")
    assert keep_valid_markers("Claim [1]. Invented [7].", [citation]) == "Claim [1]. Invented."


def test_max_words_outside_the_contract_range_is_refused(filled) -> None:
    with pytest.raises(InvalidInput, match="max_words"):
        filled.ask("anything", max_words=5)


def test_spoken_quotes_are_clean_verbatim(kb, tmp_path: Path) -> None:
    """Answers drop hesitations, sound tags and stutters from what they quote; the stored passage stays verbatim."""
    write(
        tmp_path / "panel" / "mentoring.txt",
        "Maya Chen: Um {vocalsound} staff engineers uh write the the design reviews that unblock other teams , you know .\nLee Park: Mm-hmm .\n",
    )
    ingest_paths([tmp_path / "panel"], kb)
    response = kb.ask("what do staff engineers write?")
    assert "staff engineers write the design reviews that unblock other teams." in response.answer
    assert "{vocalsound}" in response.citations[0].text and "the the" in response.citations[0].text


def test_clean_spoken_keeps_meant_doublings_and_words_that_look_like_hesitations() -> None:
    assert clean_spoken("I said that that is fine , and we had had enough .") == "I said that that is fine, and we had had enough."
    assert clean_spoken("Hmm . The umbrella , uh , hummed [laughter] on on the drum .") == "The umbrella, hummed on the drum."
    assert clean_spoken("we do n't know if you 're in") == "we don't know if you're in"


def test_clean_spoken_drops_fillers_set_off_by_commas_only() -> None:
    assert clean_spoken("So , you know , we should ship . Yeah , it is , like , big .") == "We should ship. It is big."
    assert clean_spoken("Do you know , I mean , what it costs ?") == "Do you know what it costs?"
    assert clean_spoken("I like the plan you know best, so we go .") == "I like the plan you know best, so we go."


def test_clean_spoken_drops_restarted_words_but_not_lone_letters() -> None:
    assert clean_spoken("it's it's fine, th- the plan and I- I agree , re- re-design it .") == "it's fine, the plan and I agree, re-design it."
    assert clean_spoken("vitamin c counts , plan b works , x- ray") == "vitamin c counts, plan b works, x- ray"


def test_replies_to_a_question_like_the_users_are_quoted(filled) -> None:
    """The host asks what the user asks; the guest's reply shares none of its words but is the answer.

    Both passages rank alike here, so only the reply's inherited coverage can put it first.
    """

    def passage(chunk_id: str, kind: str, text: str, speakers: list[str]) -> Passage:
        return Passage(
            text=text,
            score=0.9,
            dense_score=0.6,
            doc_id=chunk_id,
            title=chunk_id.title(),
            kind=kind,
            source=chunk_id,
            chunk_id=chunk_id,
            speakers=speakers,
        )

    panel = passage(
        "panel",
        "transcript",
        "Jonas Weber: What do staff engineers do differently from senior engineers?\n"
        "Maya Chen: My week moved out of the editor and into design documents that get three teams to agree.",
        ["Jonas Weber", "Maya Chen"],
    )
    essay = passage(
        "essay",
        "essay",
        "Staff engineers work differently at every company, since the title, the pay band and the expectations change with the size and age of the organisation.",
        [],
    )
    answer, cited = filled.composer.compose("what do staff engineers do differently?", [essay, panel], max_words=25)
    assert answer.startswith("Maya Chen, Panel: My week moved out of the editor") and [p.chunk_id for p in cited] == ["panel"]


def test_reply_coverage_goes_to_other_speakers_for_a_few_turns() -> None:
    from kb.answers.extractive import REPLY_TURNS, _reply_coverage
    from kb.answers.units import Sentence

    passage = Passage(n=1, text="t", score=1.0, doc_id="d", title="T", kind="transcript", source="d", chunk_id="c")
    lines = [("Host", "What changed in your week?"), ("Host", "Take your time."), ("Guest", "I write more.")]
    lines += [("Other", f"Point {i}.") for i in range(REPLY_TURNS + 1)]
    sentences = [Sentence(text, passage, line, line, speaker, None) for line, (speaker, text) in enumerate(lines)]
    carried = _reply_coverage(sentences, [0.8] + [0.0] * (len(sentences) - 1))
    assert carried[1] == 0.0  # the asker's own next line is no reply
    assert carried[2] == pytest.approx(0.8 * (1 - 1 / REPLY_TURNS))  # two turns after the question
    assert 0 < carried[REPLY_TURNS] < carried[2] and carried[REPLY_TURNS + 1] == 0.0  # fading, then gone


def test_one_turn_leaves_room_for_other_voices(kb, tmp_path: Path) -> None:
    from kb.answers.extractive import RUN_CAP

    long_turn = (
        "Staff engineers write the design documents for the storage migration. "
        "Their documents settle how payment retries should work across services. "
        "A good design document about search latency saves a quarter of debate. "
        "Staff engineers also write the billing audit plan that compliance reads. "
        "They draft the queue backlog proposal when nobody else will. "
        "Design reviews of the login outage follow-up are written by them too."
    )
    write(
        tmp_path / "panel" / "voices.txt",
        f"Maya Chen: {long_turn}\nDaniel Okafor: Staff engineers also write the design documents nobody else will own.\n",
    )
    ingest_paths([tmp_path / "panel"], kb)
    response = kb.ask("what design documents do staff engineers write?", max_words=120)
    maya = next(line for line in response.answer.splitlines() if line.startswith("Maya Chen"))
    quoted = maya.split(": ", 1)[1].rsplit(" [", 1)[0]
    assert len(re.split(r"(?<=\.) ", quoted)) == RUN_CAP
    assert "Daniel Okafor" in response.answer


def _stump(feature: str, threshold: float, low: float, high: float) -> dict:
    """One LightGBM-dump tree: `feature <= threshold` gives `low`, else `high`."""
    from kb.answers.learned_scores import FEATURES

    return {
        "tree_structure": {
            "split_feature": FEATURES.index(feature),
            "threshold": threshold,
            "decision_type": "<=",
            "left_child": {"leaf_value": low},
            "right_child": {"leaf_value": high},
        }
    }


def test_a_learned_model_scores_with_its_trees_and_replaces_the_hand_weights(filled, monkeypatch) -> None:
    """Trees from a LightGBM dump, scored with numpy alone; the composer uses them when a model is installed."""
    import math

    import kb.answers.extractive as answer
    from kb.answers.learned_scores import FEATURES, SentenceModel, feature_matrix

    model = SentenceModel.from_lightgbm({"tree_info": [_stump("log_words", math.log1p(9), 1.0, 0.1), _stump("coverage", 0.5, 0.0, 0.5)]}, offset=0.5)
    rows = [
        {**dict.fromkeys(FEATURES, 0.0), "coverage": coverage, "words": words, "weighted": 2.0} for words, coverage in ((5, 0.0), (20, 0.0), (5, 1.0))
    ]
    assert list(model.predict(feature_matrix(rows))) == [1.0, 0.1, 1.5]
    assert list(model.score(rows)) == [3.0, 1.2, 4.0]  # the hand-tuned score x (offset + trees)

    short = "The packet should show the scope of what you took on."  # a unit of its own (UNIT_WORDS)
    long = "A promotion packet should show the scope of the problems you took on, who you helped and what changed because of you."
    passage = Passage(text=f"{short} {long}", score=0.9, dense_score=0.6, doc_id="e", title="E", kind="essay", source="e", chunk_id="e")
    for model, wanted, unwanted in (
        (_stump("log_words", math.log1p(15), 1.0, 0.1), short, long),
        (_stump("log_words", math.log1p(15), 0.1, 1.0), long, short),
    ):
        monkeypatch.setattr(answer, "load_sentence_model", lambda model=model: SentenceModel.from_lightgbm({"tree_info": [model]}, offset=0.0))
        text, _ = filled.composer.compose("what should a promotion packet show", [passage], max_words=25)  # room for one of them
        assert wanted in text and unwanted not in text


def test_a_gap_between_quoted_sentences_is_marked(filled) -> None:
    """Two sentences of one paragraph that are not next to each other are never joined as if they were."""
    first = "Staff engineers write the design documents that let three teams agree on one plan."
    aside = "The weather in the office was unusually warm that whole week in August."
    last = "Staff engineers also pick the migration work nobody owns, because design documents alone change nothing."
    passage = Passage(text=f"{first} {aside} {last}", score=0.9, dense_score=0.6, doc_id="e", title="E", kind="essay", source="e", chunk_id="e")
    text, _ = filled.composer.compose("what design documents do staff engineers write?", [passage], max_words=32)  # room for two
    assert f"{first} … {last}" in text and aside not in text


def test_a_question_about_a_speaker_quotes_only_them_or_says_they_did_not_address_it(kb, tmp_path: Path) -> None:
    write(
        tmp_path / "panel" / "panel.txt",
        (
            "Jonas Weber: Welcome everyone. Let's talk about design documents and sponsorship.\n"
            "Maya Chen: Design documents are where staff engineers get three teams to agree on one plan.\n"
            "Daniel Okafor: Sponsorship matters more than any design document: someone has to say your name in rooms you are not in.\n"
            "Maya Chen: I also pick the migration scripts nobody wants to own.\n"
        ),
    )
    ingest_paths([tmp_path / "panel"], kb)
    named = kb.ask("what did Maya Chen say about design documents?")
    assert named.answered and all(line.startswith("Maya Chen") for line in named.answer.splitlines())
    silent = kb.ask("what did Maya Chen say about sponsorship?")
    assert not silent.answered and silent.answer.startswith("Maya Chen does not address this")
    assert silent.citations and all("Maya Chen" in p.speakers for p in silent.citations)
    filtered = kb.ask("why does sponsorship matter?", filters=SearchFilters(speaker="Daniel Okafor"))
    assert filtered.answered and all(line.startswith("Daniel Okafor") for line in filtered.answer.splitlines())
    host = kb.ask("what did Jonas Weber say about design documents?")  # a host's welcome and topic change answer nothing
    assert not host.answered
    unnamed = kb.ask("what do design documents do for staff engineers?")  # no one named: every voice may answer
    assert unnamed.answered and "Welcome everyone" not in unnamed.answer


LONG_TALK = """WEBVTT

00:00:01.000 --> 00:00:06.000
<v Ines Duarte>Welcome to this talk about career ladders and how teams grow.

00:04:00.000 --> 00:04:08.000
<v Ines Duarte>Promotion packets should describe the scope of problems you took on.

00:10:00.000 --> 00:10:09.000
<v Ines Duarte>Sponsors carry your name into calibration rooms you never enter yourself.

00:10:30.000 --> 00:10:33.000
<v Tom Berg>Thank you, that was great.
"""


def test_each_quoted_sentence_carries_the_time_of_its_own_cue(kb, tmp_path: Path) -> None:
    """One speaker's cues merge into one long turn; a quote from its end is not stamped with its start."""
    from kb.answers.units import split_passage

    write(tmp_path / "talks" / "ladders.vtt", LONG_TALK)
    ingest_paths([tmp_path / "talks"], kb)
    passage = kb.search("sponsors and promotion packets", filters=SearchFilters(doc_id="ladders.vtt")).results[0]
    timed = {s.text.split()[0]: s.seconds for s in split_passage(passage)}
    cues = {"Welcome": 1.0, "Promotion": 240.0, "Sponsors": 600.0, "Thank": 630.0}
    assert len(timed) >= 2 and timed.items() <= cues.items()  # (ten minutes are more than one passage: cut by time too)
    response = kb.ask("what should promotion packets describe?", max_words=20)  # room for one sentence
    quoted = response.answer
    assert "00:04:00: Promotion packets" in quoted or "00:10:00: Sponsors carry" in quoted  # its own cue's time
    assert "00:00:01" not in quoted  # never the turn's start
    # the citation says which sentence it quotes and when (the page's #t= link uses it), not the passage's start
    (quote,) = response.citations[0].quotes
    assert response.citations[0].start == "00:00:01" and quote.start in {"00:04:00", "00:10:00"}
    assert quote.text in quoted and quote.speaker == "Ines Duarte"


def test_the_parts_of_a_cut_turn_keep_their_own_times(kb, tmp_path: Path) -> None:
    cues = [
        f"{i // 60:02d}:{i % 60:02d}:00.000 --> {i // 60:02d}:{i % 60:02d}:30.000\n<v Ines Duarte>"
        f"Part {i} says that staff engineers write design documents and review migration plans for team number {i}.\n"
        for i in range(0, 80, 2)
    ]
    write(tmp_path / "talks" / "long.vtt", "WEBVTT\n\n" + "\n".join(cues))
    ingest_paths([tmp_path / "talks"], kb)
    results = kb.search("design documents and migration plans", top_k=10, filters=SearchFilters(doc_id="long.vtt")).results
    starts = {p.start for p in results}
    assert len(results) > 1 and len(starts) == len(results)  # one 80-minute turn, yet every part starts when it starts
    assert all(p.start != "00:00:00" for p in results if "Part 0 " not in p.text)


def test_a_direct_reply_in_short_sentences_is_quoted_first(kb, tmp_path: Path) -> None:
    """Spoken replies come in short sentences; joined into units, the opening of the reply is what gets quoted."""
    write(
        tmp_path / "panel" / "sponsors.txt",
        "Diego Santos: A question from the audience: what if you don't have a sponsor and don't know how to get one?\n"
        "Mei Tanaka: Start by making your work visible. Present at forums. Write the document people read. "
        "Sponsors emerge from people who have seen your work, over months and years. "
        "Later on, once some relationship exists between the two of you, it is reasonable to ask them for feedback and for support.\n"
        "Diego Santos: Thank you, Mei. Let's talk about sponsorship programmes next, and how a company might run them.\n",
    )
    ingest_paths([tmp_path / "panel"], kb)
    response = kb.ask("how do I find a sponsor", max_words=30)
    assert "Mei Tanaka" in response.answer and "Start by making your work visible. Present at forums." in response.answer
    (citation,) = response.citations
    assert citation.quotes[0].text.startswith("Start by making your work visible.")


def _transcript(doc_id: str, title: str, text: str, n: int) -> Passage:
    speakers = sorted({line.split(": ", 1)[0] for line in text.splitlines()})
    return Passage(
        n=n,
        text=text,
        score=1.0 / n,
        dense_score=0.6,
        doc_id=doc_id,
        title=title,
        kind="transcript",
        source=doc_id,
        speakers=speakers,
        speaker=speakers[0],
        chunk_id=f"{doc_id}-{n}",
        line_starts=[60.0 * n] * len(text.splitlines()),
    )


def test_one_panels_lines_come_together_and_name_the_panel_once() -> None:
    from kb.answers.extractive import render
    from kb.answers.units import split_passage

    first = _transcript("a.vtt", "Panel A", "Maya Chen: Staff engineers write the design documents that settle a quarter of debate.", 1)
    essay = Passage(
        n=2,
        text="Staff engineers work across teams rather than inside one of them, most of the time.",
        score=0.5,
        dense_score=0.6,
        doc_id="e.md",
        title="Essay",
        kind="essay",
        source="e.md",
        chunk_id="e-2",
    )
    later = _transcript("a.vtt", "Panel A", "Lee Park: Staff engineers also pick the migration work that nobody else wants to own.", 3)
    chosen = [s for p in (first, essay, later) for s in split_passage(p)]
    text, cited = render(chosen, [first, essay, later])
    lines = text.splitlines()
    assert lines[0].startswith("Maya Chen, Panel A, 00:01:00: ") and lines[1].startswith("Lee Park, 00:03:00: Staff engineers also pick")
    assert lines[2].startswith("Staff engineers work across teams") and text.count("Panel A") == 1
    assert [(p.n, p.doc_id) for p in cited] == [(1, "a.vtt"), (2, "a.vtt"), (3, "e.md")] and lines[1].endswith("[2]")


def test_an_answer_stops_short_rather_than_quote_weak_sentences() -> None:
    from kb.answers.extractive import MIN_RELATIVE_SCORE, ExtractiveComposer
    from kb.answers.units import split_passage

    passage = Passage(
        text="Strong sentence about the design documents and reviews that staff engineers write. "
        "Good sentence about the design documents that teams read before a review. "
        "Weak sentence about the weather in the office during that whole week.",
        score=1.0,
        dense_score=0.6,
        doc_id="e",
        title="E",
        kind="essay",
        source="e",
        chunk_id="e",
    )
    sentences = split_passage(passage)
    assert 0.55 < MIN_RELATIVE_SCORE < 0.85
    for sentence, score in zip(sentences, (1.0, 0.85, 0.55)):
        sentence.score, sentence.similarity = score, 0.5
    chosen = ExtractiveComposer(quick_embed=None, idf=None).choose(sentences, max_words=100)
    assert [s.text.split()[0] for s in chosen] == ["Strong", "Good"]  # room for all three; the weak one is left out


def test_a_composer_can_be_injected(small_corpus: Path) -> None:
    """The answer is written by whatever composer the KnowledgeBase is given (the generative mode plugs in here)."""
    from kb import KnowledgeBase, Settings

    class Echo:
        def compose(self, question, passages, max_words, max_citations=5, speaker=None, elsewhere=None):
            return f"{len(passages)} passages found for: {question} [1]", [passages[0].model_copy(update={"n": 1})]

    with KnowledgeBase(Settings(), composer=Echo()) as kb:
        ingest_paths([small_corpus], kb)
        response = kb.ask("who owns technical direction?")
    assert response.answer.endswith("for: who owns technical direction? [1]") and [p.n for p in response.citations] == [1]


class _ScriptedReader:
    """Scores units by a table (a reader whose verdicts a test chooses); anything not listed scores `rest`."""

    def __init__(self, table: dict[str, float], rest: float = 0.05) -> None:
        self.table, self.rest = table, rest

    def answers(self, question: str, texts: list[str]):
        import numpy as np

        return np.array([next((p for start, p in self.table.items() if text.split(": ", 1)[-1].startswith(start)), self.rest) for text in texts])


def test_an_answer_never_opens_on_a_sentence_that_points_back(filled) -> None:
    """ "That's the part ..." is quoted only after the sentence it points to; without room for both, not at all."""
    from kb.answers.extractive import ExtractiveComposer

    text = (
        "A sponsor spends their own reputation to put your name forward for the hard project. "
        "That's the part most people who are sponsored never see, and it is why they should thank them. "
        "Mentors, by contrast, mostly give advice and keep their reputation out of it entirely."
    )
    passage = Passage(n=1, text=text, score=0.9, dense_score=0.6, doc_id="s", title="Sponsors", kind="essay", source="s", chunk_id="s")
    reader = _ScriptedReader({"That's the part": 0.95, "Mentors, by contrast": 0.6, "A sponsor spends": 0.2})
    composer = ExtractiveComposer(filled.composer.quick_embed, filled.composer.idf, reader=reader)
    roomy, _ = composer.compose("what do sponsored people miss?", [passage], max_words=60)
    assert roomy.index("A sponsor spends") < roomy.index("That's the part")  # the sentence it points to comes first
    tight, _ = composer.compose("what do sponsored people miss?", [passage], max_words=20)
    assert "That's the part" not in tight and tight.startswith("Mentors, by contrast")


def test_headings_lists_epigraphs_and_page_fragments_are_never_quoted() -> None:
    from kb.answers.units import quotable_units

    written = "\n".join(
        [
            "2.1 Easy to learn and memorize An easy-to-learn API names things consistently across its modules.",
            "… (IV iii 151) • Handle normal errors where they happen, and let the rest propagate.",
            "and so the reviewers asked for a smaller change before they would approve it.",
            "“Brevity is the soul of wit.” — Polonius",
            "A good API is easy to use correctly and hard to use incorrectly.",
        ]
    )
    essay = Passage(n=1, text=written, score=0.9, doc_id="api.pdf", title="API design", kind="essay", source="api.pdf", chunk_id="a")
    assert [u.text for u in quotable_units(essay)] == ["A good API is easy to use correctly and hard to use incorrectly."]
    spoken = Passage(
        n=1, text="Maya Chen: and so we shipped it on a Friday after all.", score=0.9, doc_id="p", title="P", kind="transcript", source="p",
        chunk_id="p", speakers=["Maya Chen"],
    )  # fmt: skip
    assert [u.text for u in quotable_units(spoken)] == ["and so we shipped it on a Friday after all."]  # speech opens lower-case


def test_when_several_documents_answer_the_answer_draws_on_more_than_one(filled) -> None:
    """One panel's sentences score best and could fill the words alone; the essay that also answers is heard too."""
    from kb.answers.extractive import ExtractiveComposer

    said = [
        "Staff engineers find the problems that nobody has been assigned yet and make them theirs.",
        "Staff engineers write the design documents that align several teams on one direction.",
        "Good staff engineers spend time sponsoring others so that good work is seen by the right people.",
        "The best staff engineers keep a short list of the few things that matter most this quarter.",
    ]
    panel = Passage(
        n=1, text="\n".join(f"Maya Chen: {line}" for line in said), score=0.9, dense_score=0.6, doc_id="panel.vtt", title="Panel",
        kind="transcript", source="panel.vtt", chunk_id="p", speakers=["Maya Chen"],
    )  # fmt: skip
    essay = Passage(
        n=2, text="A staff engineer is measured by the outcomes of the teams around them, not by their own commits.", score=0.8,
        dense_score=0.55, doc_id="essay.md", title="Essay", kind="essay", source="essay.md", chunk_id="e",
    )  # fmt: skip
    reader = _ScriptedReader(
        {"Staff engineers find": 0.95, "Staff engineers write": 0.9, "Good staff": 0.9, "The best staff": 0.9, "A staff engineer is measured": 0.7}
    )
    composer = ExtractiveComposer(filled.composer.quick_embed, filled.composer.idf, reader=reader)
    answer, cited = composer.compose("what do staff engineers do differently?", [panel, essay], max_words=60)
    assert {p.doc_id for p in cited} == {"panel.vtt", "essay.md"}
    assert "measured by the outcomes" in answer


def test_the_reader_reads_only_the_units_worth_reading(filled) -> None:
    """However big the pool, the reader reads at most READER_UNITS units: the ones the hand-tuned score ranks best."""
    from kb.answers.extractive import READER_UNITS, ExtractiveComposer

    class CountingReader(_ScriptedReader):
        read: list[str] = []

        def answers(self, question: str, texts: list[str]):
            self.read.extend(texts)
            return super().answers(question, texts)

    topics = ["sponsor", "pager rotation", "design review", "promotion packet", "glue work", "mentoring", "on-call", "hiring loop"]
    lines = [
        f"Maya Chen: Item {i}: the team talked about the {topics[i % len(topics)]} for the {i}th time this quarter." for i in range(READER_UNITS + 20)
    ]
    lines.append("Maya Chen: A sponsor spends their own reputation to put your name forward for the hard project.")
    passage = Passage(
        n=1, text="\n".join(lines), score=0.9, dense_score=0.6, doc_id="p", title="P", kind="transcript", source="p", chunk_id="p",
        speakers=["Maya Chen"],
    )  # fmt: skip
    reader = CountingReader({"A sponsor spends": 0.9})
    composer = ExtractiveComposer(filled.composer.quick_embed, filled.composer.idf, reader=reader)
    answer, _ = composer.compose("what does a sponsor spend for you?", [passage], max_words=40)
    assert len(reader.read) == READER_UNITS  # of 61 units
    assert any("A sponsor spends" in text for text in reader.read) and "A sponsor spends" in answer
