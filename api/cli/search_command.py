"""`kb search "QUERY"`: ranked passages, each with its citation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.padding import Padding

from api.cli.ingest_command import KindOption
from api.cli.output import console, open_kb, print_json, user_errors


def search(
    query: Annotated[str, typer.Argument(help="What to look for.", show_default=False)],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50, help="How many passages.")] = 5,
    doc: Annotated[str | None, typer.Option("--doc", help="Only this doc_id.")] = None,
    kind: Annotated[KindOption | None, typer.Option(help="Only this kind.")] = None,
    speaker: Annotated[str | None, typer.Option(help="Only passages where this person speaks.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the HTTP response body.")] = False,
) -> None:
    """Search passages by meaning; prints who said it, where and when."""
    from kb.models import SearchFilters

    with user_errors():
        filters = SearchFilters(doc_id=doc, kind=kind.value if kind else None, speaker=speaker)
        response = open_kb().search(query, top_k=top_k, filters=filters)
    if as_json:
        print_json(response)
        return
    if not response.results:
        console.print("No passages found. Is anything ingested? (`kb docs` lists documents.)")
        return
    for passage in response.results:
        console.print(f"[bold]{passage.n}. {passage.title}[/]  [dim]{citation(passage)} · score {passage.score:.2f}[/]")
        console.print(Padding(passage.text, (0, 0, 1, 3)))


def citation(passage) -> str:
    """Where a passage comes from, in the words a reader expects for its kind."""
    parts = [passage.doc_id]
    if passage.speaker:
        parts.append(passage.speaker)
    if passage.start:
        parts.append(f"{passage.start}–{passage.end}" if passage.end else passage.start)
    if passage.page:
        parts.append(f"p. {passage.page}")
    if passage.section:
        parts.append(f"§ {passage.section}")
    return " · ".join(parts)
