"""`kb ask "QUESTION"`: a short answer whose every claim cites a passage."""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from api.cli.options import AsJson, DocFilter, KindFilter, MaxWords, SpeakerFilter, TopK, filters
from api.cli.output import console, err_console, open_kb, print_json, user_errors
from api.cli.search_command import citation
from kb.contract import MAX_WORDS, TOP_K, AskMode

if TYPE_CHECKING:
    from kb.models import AskResponse  # pydantic's models load when a command runs, not for `kb --help`


def ask(
    question: Annotated[str, typer.Argument(help="Your question.", show_default=False)],
    top_k: TopK = TOP_K.default,
    max_words: MaxWords = MAX_WORDS.default,
    doc: DocFilter = None,
    kind: KindFilter = None,
    speaker: SpeakerFilter = None,
    mode: Annotated[
        AskMode,
        typer.Option(
            help="extractive: quoted sentences; generative: written by the LLM server KB_LLM_URL names, every sentence checked "
            "against its passage; auto: generative when KB_LLM_URL is set."
        ),
    ] = "auto",
    as_json: AsJson = False,
) -> None:
    """Answer from the stored passages, citing each claim as \\[n]."""
    with user_errors():
        kb = open_kb(model=True)
        writing = mode == "generative" or (mode == "auto" and bool(kb.settings.llm_url))
        with (
            err_console.status(f"Writing the answer with {kb.settings.llm_model} at {kb.settings.llm_url}…")
            if writing and not as_json
            else nullcontext()
        ):
            response = kb.ask(question, top_k=top_k, filters=filters(doc, kind, speaker), max_words=max_words, mode=mode)
    if as_json:
        print_json(response)
        return
    console.print(Padding(Text(response.answer), (1, 0, 1, 0)))
    if note := how_written(response):
        console.print(Text(note, style="dim"))
    console.print("[bold]Sources[/]" if response.answered else "[bold]Related[/]")
    for passage in response.citations:
        console.print(f"  \\[{passage.n}] {escape(passage.title)} [dim]· {escape(citation(passage))}[/]")


def how_written(response: AskResponse) -> str | None:
    """One line on how the answer was written, when a model was involved: what verification dropped, or why not."""
    checked = response.verification
    if response.mode == "generative" and checked is not None:
        dropped = f"; {checked.dropped} left out as unsupported" if checked.dropped else ""
        return f"Written by the LLM, every sentence checked against its passage: {checked.kept} of {checked.sentences} kept{dropped}."
    if response.fallback:
        return f"Extractive answer: {response.fallback}."
    return None
