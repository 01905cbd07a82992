"""Quotes point at their words in the stored passage: clean-verbatim quotes located in verbatim text."""

from __future__ import annotations

import re

from kb.text.quote_spans import quote_span

WORDS = re.compile(r"\w+")


def _quoted(text: str, span: tuple[int, int] | None) -> str | None:
    return text[span[0] : span[1]] if span else None


def test_a_clean_quote_is_found_among_fillers_stutters_and_sound_tags() -> None:
    text = "Host: Welcome back.\nMaya Chen: Um, the the first thing {vocalsound} you 're told is to write it down . Then we ship."
    span = quote_span(text, 1, "The first thing you're told is to write it down.")
    assert _quoted(text, span) == "the first thing {vocalsound} you 're told is to write it down ."
    assert span is not None and span[0] > text.index("\n")  # on the line it came from, not the host's


def test_the_tightest_place_wins_when_a_line_repeats_its_opening() -> None:
    text = "We should never complicate things too much . We should only make a remote control , nothing more ."
    assert (
        _quoted(text, quote_span(text, 0, "We should only make a remote control, nothing more."))
        == "We should only make a remote control , nothing more ."
    )


def test_spans_count_code_points_so_clients_can_index_them() -> None:
    text = "Zoë 🚀: Ship the small thing first. Then the next."
    span = quote_span(text, 0, "Ship the small thing first.")
    assert _quoted(text, span) == "Ship the small thing first."


def test_a_quote_that_is_not_on_the_line_has_no_span() -> None:
    text = "Maya Chen: Sponsors are busy.\nDiego Santos: Next question."
    assert quote_span(text, 1, "Sponsors are busy.") is None
    assert quote_span(text, 5, "Sponsors are busy.") is None


def test_every_quote_of_a_corpus_answer_points_at_its_words(corpus_kb) -> None:
    for question in ("how do I find a sponsor", "what do staff engineers do differently", "how should feedback be given"):
        response = corpus_kb.ask(question)
        quotes = [(p, q) for p in response.citations for q in p.quotes]
        assert quotes, question
        for passage, quote in quotes:
            assert quote.span is not None, quote.text
            shown = WORDS.findall(passage.text[quote.span[0] : quote.span[1]].casefold())
            said = WORDS.findall(quote.text.casefold())
            assert shown[0] == said[0] and shown[-1] == said[-1], (shown, said)
            assert set(said) <= set(shown)


def test_a_quote_keeps_its_opening_and_closing_quotation_marks() -> None:
    text = "Brooks: Consistency matters. “Conceptual integrity” is the most important thing."
    assert (
        _quoted(text, quote_span(text, 0, "“Conceptual integrity” is the most important thing."))
        == "“Conceptual integrity” is the most important thing."
    )
