"""`kb backup DEST` and `kb restore SRC`: a consistent snapshot of the store as one archive, and its restore.

A backup goes through `kb serve` when one owns the store (the server streams the
archive back), like every other command; a restore writes only into an empty data
dir (or an empty collection of a Chroma server), never over a store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.cli.options import AsJson, Wait
from api.cli.output import console, err_console, open_kb, user_errors


def backup(
    dest: Annotated[Path, typer.Argument(help="The archive to write (a new file, e.g. kb-2026-12-07.tar.gz).", dir_okay=False)],
    wait: Wait = 30.0,
    as_json: AsJson = False,
) -> None:
    """Write a consistent snapshot of the store (while `kb serve` keeps answering and writing) to DEST."""
    import json

    from kb import Settings
    from kb.errors import NotFound

    settings = Settings()
    with user_errors(), err_console.status("Taking the backup..."):
        if not settings.chroma_url and not (settings.data_dir / "chroma").is_dir():
            raise NotFound(f"no store at KB_DATA_DIR={settings.data_dir}: point KB_DATA_DIR at the store to back up")
        manifest = open_kb(wait).backup(dest, wait)
    if as_json:
        console.print_json(json.dumps({key: value for key, value in manifest.items() if key != "members"}))
        return
    console.print(
        f"Backed up {manifest['documents']} documents, {manifest['passages']:,} passages to {escape(str(dest))} "
        f"({manifest['archive_bytes'] / 2**20:.1f} MB; writers waited {manifest.get('write_lock_seconds', 0):.1f} s)."
    )


def restore(
    source: Annotated[Path, typer.Argument(help="An archive `kb backup` wrote.", exists=True, dir_okay=False, readable=True)],
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Restore into this (new or empty) folder instead of KB_DATA_DIR.", file_okay=False)
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Restore a backup into an empty data dir (checked first: a torn or changed archive is refused, nothing written)."""
    import json

    from kb import KnowledgeBase, Settings

    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    with user_errors(), err_console.status(f"Restoring {escape(source.name)}..."):
        manifest = KnowledgeBase.restore(settings, source)
    if as_json:
        console.print_json(json.dumps({key: value for key, value in manifest.items() if key != "members"}))
        return
    where = settings.chroma_url or str(settings.data_dir)
    console.print(
        f"Restored {manifest['documents']} documents, {manifest['passages']:,} passages (backup of {manifest['created']}) into {escape(where)}."
    )
