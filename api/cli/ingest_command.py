"""`kb ingest PATH...`: progress bar while it works, a summary table when done."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from api.cli.options import KindOption, Wait
from api.cli.output import READ_WAIT, console, err_console, open_kb, print_json, user_errors

if TYPE_CHECKING:
    from kb.protocol import KnowledgeBaseLike


class _BarProgress:
    """Adapts the pipeline's progress callbacks to a rich progress bar."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task = bar.add_task("Planning", total=None)
        self.listening: TaskID | None = None

    def planned(self, to_write: int, total: int) -> None:
        self.bar.update(self.task, description=f"Ingesting ({to_write} to write)", total=total)

    def file_done(self, report) -> None:
        self.bar.update(self.task, advance=1, description=f"{report.status:>9} {report.doc_id[:48]}")

    def transcribing(self, doc_id: str, done: float, total: float) -> None:
        """A recording's minutes transcribed, with the time left (rich estimates it from the rate so far)."""
        if self.listening is None:
            self.listening = self.bar.add_task("", total=total)
        said = f"transcribing {doc_id[:40]}: {done / 60:.1f} of {total / 60:.1f} min"
        self.bar.update(self.listening, completed=done, total=total, description=said, visible=done < total)
        if done >= total:
            self.bar.remove_task(self.listening)
            self.listening = None


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.", show_default=False)],
    kind: KindOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Remove documents under these folders whose files are gone.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON.")] = False,
    wait: Wait = 0.0,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="After this pass, keep watching: new, changed (and with --prune deleted or renamed) files are applied within seconds.",
        ),
    ] = False,
    speaker_name: Annotated[
        list[str] | None,
        typer.Option(
            "--speaker-name",
            help="Map a transcript label to a person, e.g. 'SPEAKER_00=Maya Chen' (repeat it; a file's front matter wins).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Add, update or (with --prune) remove documents; unchanged files are skipped."""
    from ingest import ingest_paths
    from ingest.pipeline import Failures
    from ingest.speaker_names import from_pairs

    failures = Failures()  # what fails now is not read again by --watch until it changes
    with user_errors():
        names = from_pairs(speaker_name or [])
        kb = open_kb(READ_WAIT if dry_run else wait, model=True)
        if as_json:
            report = ingest_paths(paths, kb, kind=kind, dry_run=dry_run, prune=prune, wait=wait, speaker_names=names, failures=failures)
        else:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
            with Progress(*columns, console=err_console, transient=True) as bar:
                report = ingest_paths(
                    paths,
                    kb,
                    kind=kind,
                    dry_run=dry_run,
                    prune=prune,
                    progress=_BarProgress(bar),
                    wait=wait,
                    speaker_names=names,
                    failures=failures,
                )
    if as_json:
        print_json(report)
    else:
        _print_summary(report)
    if watch and not dry_run:
        _watch(paths, kb, kind, prune, names, as_json, failures)
    raise typer.Exit(1 if report.failed else 0)


def _watch(paths: list[Path], kb: KnowledgeBaseLike, kind, prune: bool, names: dict[str, str], as_json: bool, failures) -> None:
    """Apply each batch of changes as it settles, a line per document changed (a JSON report per batch with --json)."""
    import time

    from ingest.watching import watch

    said: set[tuple[str, str | None]] = set()
    err_console.print(f"Watching {', '.join(escape(str(p)) for p in paths)} for changes{' (deletions prune)' if prune else ''}. Ctrl+C stops.")
    try:
        with user_errors():
            for batch in watch(paths, kb, prune=prune, kind=kind, speaker_names=names, failures=failures):
                if as_json:
                    console.print_json(batch.report.model_dump_json(), indent=None)
                    continue
                stamp = time.strftime("%H:%M:%S")
                for f in batch.report.files:
                    if f.status == "failed" and (f.doc_id, f.error) not in said:  # a failure not remembered (a link loop) once
                        said.add((f.doc_id, f.error))
                        err_console.print(f"{stamp} [bold red]failed[/] {escape(f.error or f.doc_id)}")
                    elif f.status != "unchanged":
                        console.print(f"{stamp} {f.status} {escape(f.doc_id)}" + (f" ({f.passages} passages)" if f.status != "removed" else ""))
    except KeyboardInterrupt:
        err_console.print("Stopped watching.")


def _print_summary(report) -> None:
    changed = [f for f in report.files if f.status != "unchanged"]
    if changed:
        table = Table(title="Plan (dry run: nothing written)" if report.dry_run else None, show_edge=False, pad_edge=False)
        for column in ("status", "doc_id", "kind", "passages"):
            table.add_column(column, justify="right" if column == "passages" else "left")
        styles = {"added": "green", "updated": "cyan", "removed": "yellow", "failed": "bold red"}
        for f in changed:
            table.add_row(
                f"[{styles.get(f.status, '')}]{f.status}[/]", escape(f.doc_id), f.kind or "", str(f.passages) if f.status != "failed" else ""
            )
        console.print(table)
    for note in report.notes:
        err_console.print(f"[yellow]note[/] {escape(note)}")
    for f in report.files:
        if f.status == "failed":
            err_console.print(f"[bold red]failed[/] {escape(f.error or '')}")
    summary = (
        ("Dry run, would do: " if report.dry_run else "") + f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed, {report.failed} failed · {report.passages} passages · {report.seconds:.1f} s"
    )
    if not changed and not report.failed:
        summary = f"Nothing to do: {report.unchanged} files unchanged · {report.passages} passages · {report.seconds:.1f} s"
    console.print(summary)
