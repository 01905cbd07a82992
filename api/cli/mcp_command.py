"""`kb mcp`: the knowledge base as an MCP server on stdin/stdout, for a desktop assistant or an IDE agent."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.output import open_kb, user_errors


def mcp(
    writes: Annotated[
        bool, typer.Option("--writes", help="Also offer add_document and delete_document (the same ingest path as `kb ingest`).")
    ] = False,
) -> None:
    """Serve search, ask, list_documents and get_document over MCP (stdio): an assistant's config runs this command.

    When a `kb serve` owns the store, the tools go through it. Nothing but the protocol is written to stdout.
    """
    from api.mcp_server import build_server

    with user_errors():
        knowledge_base = open_kb(model=True)
    build_server(lambda: knowledge_base, writes=writes).run("stdio")
