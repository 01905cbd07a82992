"""`kb serve`: the HTTP API on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.output import err_console


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    err_console.print(f"panel-kb listening on http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, log_level="info")
