"""`kb eval QUESTIONS.jsonl`: hit@1/3/5 and MRR of labelled questions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.output import console, open_kb, print_json, user_errors


def eval_questions(
    questions: Annotated[Path, typer.Argument(help="JSON lines of {question, doc_id, quote}.", exists=True, dir_okay=False, show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Measure search on labelled questions (e.g. corpus/questions.jsonl)."""
    from kb.evaluation import evaluate

    with user_errors():
        report = evaluate(open_kb(model=True), questions)
    if as_json:
        print_json(report)
        return
    table = Table(title=f"Search quality on {questions}", show_edge=False, pad_edge=False)
    for column in ("kind", "questions", "hit@1", "hit@3", "hit@5", "MRR"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for row in report.rows:
        table.add_row(row.group, str(row.questions), f"{row.hit_at_1:.2f}", f"{row.hit_at_3:.2f}", f"{row.hit_at_5:.2f}", f"{row.mrr:.2f}")
    console.print(table)
    for question in report.misses:
        console.print(f"[yellow]not in top 5:[/] {escape(question)}")
