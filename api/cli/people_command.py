"""`kb people`: who speaks here, one person's page, and merges, renames and unmerges (kb/people/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.options import Wait
from api.cli.output import console, open_kb, print_json, user_errors

app = typer.Typer(help="People: who speaks in the stored documents, under every name they go by.", no_args_is_help=False)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the HTTP response body.")]
LINES_SHOWN = 5  # per document in `kb people show`; --json and the person page give them all


@app.callback(invoke_without_command=True)
def people(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List everyone who speaks (most passages first), with their other names."""
    if ctx.invoked_subcommand is not None:
        return
    from kb.models import PeopleList

    with user_errors():
        found = open_kb().people()
    if as_json:
        print_json(PeopleList(people=found))
        return
    if not found:
        console.print("Nobody speaks in a stored passage yet: transcripts name their speakers (`kb ingest PATH`).")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("name", "also", "documents", "passages", "dates"):
        table.add_column(column, justify="right" if column in ("documents", "passages") else "left", overflow="fold")
    for person in found:
        dates = person.first_date if person.first_date == person.last_date else f"{person.first_date} – {person.last_date}"
        table.add_row(escape(person.name), escape(", ".join(person.aliases)), str(person.documents), str(person.passages), dates or "")
    console.print(table)
    console.print(f"{len(found)} people")


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="Any name they go by.", show_default=False)], as_json: JsonFlag = False) -> None:
    """One person: their topics, and what they said in each document, with times."""
    with user_errors():
        page = open_kb().person(name)
    if as_json:
        print_json(page)
        return
    also = f" (also {escape(', '.join(page.aliases))})" if page.aliases else ""
    console.print(f"[bold]{escape(page.name)}[/]{also}: {page.passages} passages in {page.documents} documents")
    if page.topics:
        console.print(f"Talks about: {escape(', '.join(page.topics))}")
    for document in page.in_documents:
        when = f" {document.start}–{document.end}" if document.start else ""
        console.print(f"\n[bold]{escape(document.title)}[/] [dim]{escape(document.doc_id)}{when}[/]")
        for line in document.lines[:LINES_SHOWN]:
            console.print(f"  [dim]{line.start or '':>8}[/] {escape(line.text)}")
        if len(document.lines) > LINES_SHOWN:
            console.print(f"  [dim]… {len(document.lines) - LINES_SHOWN} more lines (--json lists them)[/]")


@app.command("merge")
def merge(
    names: Annotated[list[str], typer.Argument(help="Names to merge, then the person they are (last).", show_default=False)], wait: Wait = 0.0
) -> None:
    """Merge people: `kb people merge "Adam" "Adam Chlipala"`; the last name is who they all are. Nothing is re-embedded."""
    if len(names) < 2:
        console.print(
            "[bold red]Error:[/] give at least two names: the ones to merge, then the person they are (`kb people merge Adam 'Adam Chlipala'`)"
        )
        raise typer.Exit(2)
    with user_errors():
        person = open_kb(wait).merge_people(names[:-1], names[-1], wait=wait)
    _said(person, "merged")


@app.command("rename")
def rename(
    name: Annotated[str, typer.Argument(help="Any name they go by.", show_default=False)],
    new_name: Annotated[str, typer.Argument(help="How they are shown from now on.", show_default=False)],
    wait: Wait = 0.0,
) -> None:
    """Show a person under another name; their names so far stay aliases."""
    with user_errors():
        person = open_kb(wait).rename_person(name, new_name, wait=wait)
    _said(person, "renamed")


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="A YAML or JSON file: each person with the other names they go by.", show_default=False)],
    wait: Wait = 0.0,
) -> None:
    """Read a people file, e.g. `Maya Chen: [Dr. Maya Chen, maya, "@mchen"]` per line; names not used yet are kept for later."""
    with user_errors():
        people = _people_file(path)
        found = open_kb(wait).import_people(people, wait=wait)
    for person in found:
        _said(person, "known")


def _people_file(path: Path) -> dict[str, list[str]]:
    """The file's mapping (YAML, which JSON also is); InvalidInput naming the file and the fix."""
    import yaml

    from kb.errors import InvalidInput

    example = "write one person per line, e.g. 'Maya Chen: [Dr. Maya Chen, maya]'"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {path} ({exc.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise InvalidInput(f"{path} is not YAML or JSON: {example}") from None
    if not isinstance(data, dict) or not data:
        raise InvalidInput(f"{path} holds no people: {example}")
    return {str(person): [str(n) for n in ([names] if isinstance(names, (str, int)) else names or [])] for person, names in data.items()}


@app.command("unmerge")
def unmerge(name: Annotated[str, typer.Argument(help="A name merged into someone.", show_default=False)], wait: Wait = 0.0) -> None:
    """Undo a merge or rename of one name: it is its own person again."""
    with user_errors():
        person = open_kb(wait).unmerge_person(name, wait=wait)
    _said(person, "unmerged")


def _said(person, done: str) -> None:
    also = f" (also {escape(', '.join(person.aliases))})" if person.aliases else ""
    console.print(f"{done.capitalize()}: {escape(person.name)}{also}, {person.passages} passages in {person.documents} documents")
