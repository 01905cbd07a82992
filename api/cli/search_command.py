"""`kb search "QUERY"`: ranked passages, each with its citation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from api.cli.options import AsJson, DocFilter, KindFilter, SpeakerFilter, TopK, filters
from api.cli.output import console, open_kb, print_json, user_errors
from kb.contract import TOP_K


def search(
    query: Annotated[str, typer.Argument(help="What to look for.", show_default=False)],
    top_k: TopK = TOP_K.default,
    doc: DocFilter = None,
    kind: KindFilter = None,
    speaker: SpeakerFilter = None,
    as_json: AsJson = False,
) -> None:
    """Search passages by meaning and keywords; prints who said it, where and when."""
    with user_errors():
        response = open_kb(model=True).search(query, top_k=top_k, filters=filters(doc, kind, speaker))
    if as_json:
        print_json(response)
        return
    if not response.results:
        console.print("No passages found. Is anything ingested? (`kb docs` lists documents.)")
        return
    for passage in response.results:
        console.print(f"[bold]{passage.n}. {escape(passage.title)}[/]  [dim]{escape(citation(passage))} · score {passage.score:.2f}[/]")
        console.print(Padding(Text(passage.text), (0, 0, 1, 3)))


def citation(passage) -> str:
    """Where a passage comes from, in the words a reader expects for its kind."""
    parts = [passage.doc_id]
    if passage.speaker:  # everyone who speaks in it, as the widget shows (an answer may quote the second)
        parts.append(", ".join(passage.speakers) if len(passage.speakers) > 1 else passage.speaker)
    if passage.start:
        parts.append(f"{passage.start}–{passage.end}" if passage.end else passage.start)
    if passage.page:
        parts.append(f"p. {passage.page}")
    if passage.section:
        parts.append(f"§ {passage.section}")
    return " · ".join(parts)
