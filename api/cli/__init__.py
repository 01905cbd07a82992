"""The `kb` command: a thin Typer app over `kb.KnowledgeBase` and `ingest.ingest_paths`.

Heavy imports (chromadb, onnxruntime, llama-index) happen inside commands, so
`kb --help` starts fast.
"""

from __future__ import annotations

import typer

from api.cli import (
    ask_command,
    backup_command,
    docs_command,
    doctor_command,
    eval_command,
    ingest_command,
    mcp_command,
    people_command,
    search_command,
    serve_command,
)

app = typer.Typer(
    name="kb",
    help="panel-kb: cited semantic search over engineering-career essays, panel transcripts and book notes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest_command.ingest)
app.command("search")(search_command.search)
app.command("ask")(ask_command.ask)
app.command("docs")(docs_command.docs)
app.command("delete")(docs_command.delete)
app.command("serve")(serve_command.serve)
app.command("eval")(eval_command.eval_questions)
app.command("doctor")(doctor_command.doctor)
app.command("backup")(backup_command.backup)
app.command("restore")(backup_command.restore)
app.command("mcp")(mcp_command.mcp)
app.add_typer(people_command.app, name="people")


def main() -> None:
    app()
