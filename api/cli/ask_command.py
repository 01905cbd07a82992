"""`kb ask "QUESTION"`: a short answer whose every claim cites a passage."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.padding import Padding

from api.cli.ingest_command import KindOption
from api.cli.output import console, open_kb, print_json, user_errors
from api.cli.search_command import citation


def ask(
    question: Annotated[str, typer.Argument(help="Your question.", show_default=False)],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50, help="Passages to draw from.")] = 5,
    max_words: Annotated[int, typer.Option("--max-words", min=20, max=400, help="Cap on the answer's words.")] = 120,
    doc: Annotated[str | None, typer.Option("--doc", help="Only this doc_id.")] = None,
    kind: Annotated[KindOption | None, typer.Option(help="Only this kind.")] = None,
    speaker: Annotated[str | None, typer.Option(help="Only passages where this person speaks.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the HTTP response body.")] = False,
) -> None:
    """Answer from the stored passages, citing each claim as [n]."""
    from kb.models import SearchFilters

    with user_errors():
        filters = SearchFilters(doc_id=doc, kind=kind.value if kind else None, speaker=speaker)
        response = open_kb().ask(question, top_k=top_k, filters=filters, max_words=max_words)
    if as_json:
        print_json(response)
        return
    console.print(Padding(response.answer, (1, 0, 1, 0)))
    console.print("[bold]Sources[/]" if response.answered else "[bold]Related[/]")
    for passage in response.citations:
        console.print(f"  [{passage.n}] {passage.title} [dim]· {citation(passage)}[/]")
