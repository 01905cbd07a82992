"""Which files an ingest covers, and the doc_id each one gets.

`doc_id` is the path relative to the folder given (POSIX separators), or the
file name when a file is given. Hidden files and folders are skipped, and so
are links that lead outside the folder being ingested; folder links are not
followed (no loops). Pipes, sockets and devices are reported, never opened:
reading a FIFO would wait forever.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.readers import supported


NOT_REGULAR = "not a regular file (a pipe, socket or device): remove it from the folder"


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
            found, odd = _walk(root)
            sources.extend(found)
            missing.extend(odd)
        elif given.exists() and not given.is_file():
            missing.append(Missing(given.name, NOT_REGULAR))
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


def _walk(root: Path) -> tuple[list[Source], list[Missing]]:
    found: list[Source] = []
    odd: list[Missing] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or not supported(path):
                continue
            doc_id = path.relative_to(root).as_posix()
            if path.is_symlink():
                target = path.resolve()
                if not _inside(target, root):
                    continue
                if not target.exists():
                    odd.append(Missing(doc_id, f"a broken link (to {target}): fix or remove it"))
                    continue
            if not path.is_file():
                odd.append(Missing(doc_id, NOT_REGULAR))
                continue
            found.append(Source(doc_id, path, root))
    return found, odd


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
