"""POST /v1/backup: a consistent snapshot of the store, streamed back to the writer who asks.

The archive is written to a temporary file on the server (never a path the
client names) and streamed as the answer; `kb backup` goes through it when a
`kb serve` owns the store. Reads and writes go on meanwhile: writers wait only
while the rows are read (kb/backup.py).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.dependencies import get_kb, get_settings
from api.responses import error_responses
from kb import KnowledgeBase, Settings

router = APIRouter(prefix="/v1", tags=["maintenance"])
MEDIA_TYPE = "application/gzip"
STALE_SECONDS = 6 * 3600  # an archive folder this old was left by a server killed while it streamed


def clear_stale(data_dir: Path) -> None:
    """Remove archive folders a killed server left in the store's folder (called at start; other workers' new ones stay)."""
    for folder in data_dir.glob(".backup-*") if data_dir.is_dir() else ():
        if time.time() - folder.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


@router.post(
    "/backup",
    response_class=FileResponse,
    responses={200: {"content": {MEDIA_TYPE: {}}, "description": "The archive (tar.gz): `kb restore` reads it."}, **error_responses(409)},
)
def backup(kb: KnowledgeBase = Depends(get_kb), settings: Settings = Depends(get_settings)) -> FileResponse:
    """Take a backup of the whole store (passages with their vectors, document records, a manifest with counts and
    checksums) and stream it back; restore it with `kb restore FILE` into an empty data dir."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".backup-", dir=settings.data_dir))  # the store's disk has room for a copy of it
    try:
        manifest = kb.backup(folder / "backup.tar.gz", settings.write_wait)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    name = f"panel-kb-{manifest['collection']}-{manifest['created'].replace(':', '').replace('-', '')}.tar.gz"
    return FileResponse(
        folder / "backup.tar.gz",
        media_type=MEDIA_TYPE,
        filename=name,
        headers={"X-Backup-Passages": str(manifest["passages"]), "X-Backup-Documents": str(manifest["documents"])},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
