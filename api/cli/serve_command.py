"""`kb serve`: the HTTP API, the search page and the widget on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.output import err_console, user_errors


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="API processes; above 1 needs a Chroma server (KB_CHROMA_URL).")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs), the search page (/) and the widget (/widget.js)."""
    import uvicorn

    from kb import Settings
    from kb.errors import InvalidInput

    with user_errors():
        if workers > 1 and not Settings().chroma_url:
            # An embedded Chroma store belongs to one process: several would each hold their own copy.
            raise InvalidInput(f"--workers {workers} needs a Chroma server: the embedded store is owned by one process. Start `chroma run --path DIR --port 8001`, set KB_CHROMA_URL=http://127.0.0.1:8001, then serve with several workers")
    err_console.print(f"panel-kb listening on http://{host}:{port} with {workers} worker{'s' if workers > 1 else ''}  (Ctrl+C to stop)")
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")
