"""`kb doctor [--repair]`: check that Chroma, the document records and the BM25 side agree; fix them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.options import AsJson, Wait
from api.cli.output import READ_WAIT, console, err_console, open_kb, print_json, user_errors


def doctor(
    repair: Annotated[bool, typer.Option("--repair", help="Fix what is found (holds the write lock).")] = False,
    wait: Wait = 0.0,
    as_json: AsJson = False,
) -> None:
    """Check the store's consistency; exit code 1 when problems remain."""
    with user_errors():
        report = open_kb(wait if repair else READ_WAIT).doctor(repair, wait)  # a kb serve that owns the store checks it itself
    if as_json:
        print_json(report)
    else:
        _print(report)
    raise typer.Exit(0 if report.healthy or report.repaired else 1)


def _print(report) -> None:
    console.print(f"{report.documents} documents · {report.passages} passages in Chroma · {report.bm25_rows} in the keyword index")
    if report.healthy:
        console.print("[green]Consistent:[/] every passage belongs to a live document version, and both indexes agree.")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("problem", "doc_id", "count", "detail"):
        table.add_column(column)
    for finding in report.findings:
        table.add_row(f"[bold red]{finding.problem}[/]", escape(finding.doc_id or ""), str(finding.count or ""), escape(finding.detail))
    console.print(table)
    for line in report.repaired:
        console.print(f"[green]repaired[/] {escape(line)}")
    if not report.repaired:
        err_console.print("Run `kb doctor --repair` to fix these.")
