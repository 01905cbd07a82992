"""Chunking invariants, checked on the whole bundled corpus and on edge cases."""

from __future__ import annotations

import pytest

from ingest.chunking import chunk_units
from ingest.readers import read_document
from kb.embedding import get_embedder
from kb.settings import Settings
from tests.conftest import CORPUS

WINDOW = 256


@pytest.fixture(scope="module")
def count():
    return get_embedder(Settings()).count_tokens


def corpus_files():
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in {".md", ".txt", ".pdf", ".vtt", ".srt"})


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_corpus_passage_fits_the_window_and_keeps_its_citation(path, count) -> None:
    units = read_document(path.name, path.read_bytes())
    passages = chunk_units(units, count)
    assert passages
    kind = units[0].metadata["unit"]
    timed = units[0].metadata.get("start_seconds") is not None
    for passage in passages:
        assert count(passage.embed_text) <= WINDOW  # measured in the model's own tokens
        assert passage.text.strip()
        if kind == "turn":
            assert passage.speaker and passage.speakers
            assert (passage.start_seconds is not None) == timed
        if kind == "page":
            assert passage.page and passage.page >= 1
        if kind == "markdown":
            assert passage.section


@pytest.mark.parametrize("path", [p for p in corpus_files() if p.suffix in {".vtt", ".srt"} or "panels" in p.parts], ids=lambda p: p.name)
def test_turns_are_never_cut_unless_too_long(path, count) -> None:
    turns = read_document(path.name, path.read_bytes())
    passages = chunk_units(turns, count)
    for turn in turns:
        line = f"{turn.metadata['speaker']}: {' '.join(turn.text.split())}"
        if count(line) <= 200:
            assert any(line in p.text for p in passages), line[:80]


def test_short_turns_are_merged_not_left_alone(count) -> None:
    text = "\n".join(["A Person: Yeah.", "B Person: " + "A real point about sponsors and staff work. " * 3, "A Person: Right.", "B Person: Okay."])
    passages = chunk_units(read_document("t.txt", text.encode()), count)
    assert len(passages) == 1
    assert passages[0].speakers == ["A Person", "B Person"]


def test_a_turn_over_the_window_is_split_at_sentences_keeping_speaker_and_time(count) -> None:
    sentence = "Staff engineers spend their weeks writing documents that align many teams. "
    text = f"[00:10:00] Maya Chen: {sentence * 60}\n[00:20:00] Sam Ortiz: Short reply."
    passages = chunk_units(read_document("long.txt", text.encode()), count)
    maya = [p for p in passages if p.speaker == "Maya Chen"]
    assert len(maya) >= 3
    for part in maya:
        assert part.text.startswith("Maya Chen: ")
        assert part.start_seconds == 600
        assert part.text.rstrip().endswith(".")  # cut at a sentence boundary
        assert count(part.embed_text) <= WINDOW


def test_transcripts_are_measured_and_embedded_without_sound_tags(count) -> None:
    """The stored text stays verbatim; the model reads (and the window holds) the words."""
    turn = "um {vocalsound} so the {disfmarker} the remote needs a a bigger battery {gap} ."
    names = ["Project Manager", "Marketing", "Industrial Designer"]
    text = "\n".join(f"{names[i % 3]}: {turn}" for i in range(60))
    passages = chunk_units(read_document("meeting.txt", text.encode()), count)
    assert all("{vocalsound}" in p.text and "{disfmarker}" in p.text for p in passages)
    assert not any("{" in p.embed_text or " um " in p.embed_text for p in passages)
    assert "\nMarketing: so the remote needs a bigger battery.\n" in passages[0].embed_text
    verbatim_sized = chunk_units(read_document("meeting.txt", text.replace("{", "(").replace("}", ")").encode()), count)
    assert len(passages) < len(verbatim_sized)  # more turns fit a passage when tags are not counted
    for passage in passages:
        assert count(passage.embed_text) <= WINDOW


def test_markdown_sections_carry_the_heading_path(count) -> None:
    text = (
        "# Guide\n\n"
        + "Intro paragraph that is long enough to stand on its own as a passage. " * 4
        + "\n\n## Feedback\n\n### Receiving\n\n"
        + "Thank the person and ask questions. " * 40
    )
    passages = chunk_units(read_document("g.md", text.encode()), count)
    assert passages[0].section == "Guide"
    assert passages[-1].section == "Guide > Feedback > Receiving"
    assert all("#" not in p.text for p in passages)


def test_a_single_unbreakable_word_run_still_fits(count) -> None:
    text = ("x" * 40 + " ") * 300
    passages = chunk_units(read_document("w.txt", text.encode()), count)
    assert all(count(p.embed_text) <= WINDOW for p in passages)
    assert sum(len(p.text.split()) for p in passages) == 300


def test_a_long_recording_is_transcribed_in_windows_cut_at_a_pause() -> None:
    import numpy as np

    from kb.audio.transcribe import SAMPLE_RATE, windows

    speech = (np.sin(np.arange(SAMPLE_RATE * 1500) / 3.0) * 0.3).astype(np.float32)  # 25 minutes of "voice"
    speech[SAMPLE_RATE * 585 : SAMPLE_RATE * 586] = 0  # a pause in the last half minute of the first window
    cuts = windows(speech)
    assert cuts[0] == (0, cuts[1][0]) and 585 <= cuts[0][1] / SAMPLE_RATE <= 586  # cut in the pause, not mid-word
    assert all(end == following for (_, end), (following, _) in zip(cuts, cuts[1:])) and cuts[-1][1] == len(speech)  # every sample once
    assert all(end - start <= 600 * SAMPLE_RATE for start, end in cuts)
    assert windows(np.zeros(SAMPLE_RATE * 10, dtype=np.float32)) == [(0, SAMPLE_RATE * 10)]
