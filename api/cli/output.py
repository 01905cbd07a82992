"""Shared CLI plumbing: consoles, JSON output and turning errors into one readable line."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from kb.protocol import KnowledgeBaseLike

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_json(model) -> None:
    """`--json` prints exactly the HTTP response body of the same call."""
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Our errors become `Error: ...` and exit code 1 (3: the store is busy), never a traceback."""
    from kb.errors import KBError, StoreBusy

    try:
        yield
    except KBError as exc:
        err_console.print(f"[bold red]Error:[/] {escape(exc.message)}")
        raise typer.Exit(3 if isinstance(exc, StoreBusy) else 1) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug or an environment problem: one line, traceback on request
        if os.environ.get("KB_DEBUG"):
            raise
        err_console.print(f"[bold red]Error:[/] unexpected {exc.__class__.__name__}: {escape(str(exc))} (set KB_DEBUG=1 to see the traceback)")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print("Interrupted; what was stored before is intact (run the same command again to finish).")
        raise typer.Exit(130) from None


READ_WAIT = 10.0  # seconds a reading command waits for another kb command to let go of an embedded store


def open_kb(wait: float = READ_WAIT, model: bool = False) -> KnowledgeBaseLike:
    """The store: opened by this process, or, when a `kb serve` owns it, driven through that server
    (`kb.open_knowledge_base`). `wait` is how long to wait for another kb command that has it open. With
    `model`, the embedding model is loaded too (this process embeds), with a word when its first use builds it.
    """
    from kb import Settings, open_knowledge_base

    settings = Settings()
    kb = open_knowledge_base(settings, wait)
    if model:
        prepare_model(settings)
    return kb


def prepare_model(settings) -> None:
    """Load the embedding model (and the reader, when answers will use it) now, saying so when their first use builds them (half
    a minute, once) so that the wait is not a silent hang; loaded once per process, so the command that follows
    does not wait again."""
    from kb.embedding import first_use_work, get_embedder
    from kb.reader.build import first_use_work as reader_work
    from kb.reader.reader import load_reader

    _announced(first_use_work(settings), lambda: get_embedder(settings).token_vectors())
    if settings.reader_in_use:
        _announced(reader_work(settings.model_cache), lambda: load_reader(settings.model_cache))


def _announced(work: str | None, load) -> None:
    """Do `load` under a spinner naming `work` (a first use's build), or nothing when there is none to do."""
    if work is None:
        return
    err_console.print(f"{escape(work)}…")
    with err_console.status(work):
        load()
