"""`kb ask "QUESTION"`: a short answer whose every claim cites a passage."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from api.cli.options import AsJson, DocFilter, KindFilter, MaxWords, SpeakerFilter, TopK, filters
from api.cli.output import console, open_kb, print_json, user_errors
from api.cli.search_command import citation
from kb.contract import MAX_WORDS, TOP_K


def ask(
    question: Annotated[str, typer.Argument(help="Your question.", show_default=False)],
    top_k: TopK = TOP_K.default,
    max_words: MaxWords = MAX_WORDS.default,
    doc: DocFilter = None,
    kind: KindFilter = None,
    speaker: SpeakerFilter = None,
    as_json: AsJson = False,
) -> None:
    """Answer from the stored passages, citing each claim as \\[n]."""
    with user_errors():
        response = open_kb(model=True).ask(question, top_k=top_k, filters=filters(doc, kind, speaker), max_words=max_words)
    if as_json:
        print_json(response)
        return
    console.print(Padding(Text(response.answer), (1, 0, 1, 0)))
    console.print("[bold]Sources[/]" if response.answered else "[bold]Related[/]")
    for passage in response.citations:
        console.print(f"  \\[{passage.n}] {escape(passage.title)} [dim]· {escape(citation(passage))}[/]")
