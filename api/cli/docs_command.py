"""`kb docs` and `kb delete DOC_ID`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.options import Wait
from api.cli.output import console, open_kb, print_json, user_errors

ROOM_FOR_THE_REST = 40  # what the title, kind, count and date need beside the ids for a table to read well


def docs(as_json: Annotated[bool, typer.Option("--json", help="Print the HTTP response body.")] = False) -> None:
    """List stored documents."""
    from kb.models import DocumentList

    with user_errors():
        documents = open_kb().documents()
    if as_json:
        print_json(DocumentList(documents=documents))
        return
    if not documents:
        console.print("No documents yet: `kb ingest PATH` adds some.")
        return
    longest = max(len(d.doc_id) for d in documents)
    if longest + ROOM_FOR_THE_REST > console.width:  # ids on their own lines: a cut id is one `kb delete` cannot use
        for d in documents:
            console.print(escape(d.doc_id), no_wrap=True, overflow="ignore", crop=False, soft_wrap=True)
            console.print(f"    {escape(d.title)} · {d.kind} · {d.passages} passages · {d.ingested_at}", style="dim")
    else:
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("doc_id", no_wrap=True, min_width=longest)  # never cut: the other columns wrap instead
        for column in ("title", "kind", "passages", "ingested_at"):
            table.add_column(column, justify="right" if column == "passages" else "left", overflow="fold")
        for d in documents:
            table.add_row(escape(d.doc_id), escape(d.title), d.kind, str(d.passages), d.ingested_at)
        console.print(table)
    console.print(f"{len(documents)} documents, {sum(d.passages for d in documents)} passages")


def delete(doc_id: Annotated[str, typer.Argument(help="The doc_id, as `kb docs` shows it.", show_default=False)], wait: Wait = 0.0) -> None:
    """Delete a document and all its passages."""
    with user_errors():
        open_kb(wait).delete(doc_id, wait=wait)
    console.print(f"Deleted {escape(doc_id)}")
