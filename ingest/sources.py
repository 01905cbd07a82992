"""Which files an ingest covers, and the doc_id each one gets.

`doc_id` is the path relative to the folder given (POSIX separators), or the
file name when a file is given. Hidden files and folders are skipped, and so
are links that lead outside the folder being ingested.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.readers import supported


@dataclass(frozen=True)
class Source:
    doc_id: str
    path: Path
    root: Path | None  # the folder given to `kb ingest`, None for a single file


@dataclass(frozen=True)
class Missing:
    doc_id: str
    error: str


def discover(paths: list[Path]) -> tuple[list[Source], list[Missing], list[Path]]:
    """(files to ingest, paths that are not there or not usable, folders walked)."""
    sources: list[Source] = []
    missing: list[Missing] = []
    folders: list[Path] = []
    for given in paths:
        if given.is_dir():
            root = given.resolve()
            folders.append(root)
            sources.extend(_walk(root))
        elif given.is_file():
            if not supported(given):
                missing.append(Missing(given.name, f"unsupported file type '{given.suffix}': use .md, .txt, .pdf, .vtt or .srt"))
            else:
                sources.append(Source(given.name, given, None))
        else:
            missing.append(Missing(str(given), f"no such file or folder: {given}"))
    unique: dict[str, Source] = {}
    for source in sources:
        if source.doc_id in unique:
            missing.append(Missing(source.doc_id, f"doc_id '{source.doc_id}' is also given by {unique[source.doc_id].path}: ingest {source.path} in a separate run"))
        else:
            unique[source.doc_id] = source
    return list(unique.values()), missing, folders


def _walk(root: Path) -> list[Source]:
    found: list[Source] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or not supported(path):
                continue
            if path.is_symlink() and not _inside(path.resolve(), root):
                continue
            found.append(Source(path.relative_to(root).as_posix(), path, root))
    return found


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
