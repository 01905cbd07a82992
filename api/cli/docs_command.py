"""`kb docs` and `kb delete DOC_ID`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.options import Wait
from api.cli.output import console, open_kb, print_json, user_errors


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
    table = Table(show_edge=False, pad_edge=False)
    for column in ("doc_id", "title", "kind", "passages", "ingested_at"):
        table.add_column(column, justify="right" if column == "passages" else "left")
    for d in documents:
        table.add_row(escape(d.doc_id), escape(d.title), d.kind, str(d.passages), d.ingested_at)
    console.print(table)
    console.print(f"{len(documents)} documents, {sum(d.passages for d in documents)} passages")


def delete(doc_id: Annotated[str, typer.Argument(help="The doc_id, as `kb docs` shows it.", show_default=False)], wait: Wait = 0.0) -> None:
    """Delete a document and all its passages."""
    with user_errors():
        open_kb(wait).delete(doc_id, wait=wait)
    console.print(f"Deleted {escape(doc_id)}")
