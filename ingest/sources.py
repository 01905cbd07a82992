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
from ingest.upload_names import hidden_characters
from kb.contract import SUPPORTED

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


@dataclass
class Discovered:
    sources: list[Source]  # files to ingest
    missing: list[Missing]  # paths that are not there or not usable
    folders: list[Path]  # folders walked
    skipped: list[str]  # files in those folders of a type no reader takes (listed, never read)


def discover(paths: list[Path]) -> Discovered:
    """What an ingest of `paths` covers; see `Discovered`."""
    sources: list[Source] = []
    missing: list[Missing] = []
    folders: list[Path] = []
    skipped: list[str] = []
    for given in paths:
        problem = _link_problem(given, None) if given.is_symlink() else None
        if problem:
            missing.append(Missing(given.name, problem))
        elif given.is_dir():
            root = given.resolve()
            folders.append(root)
            found, odd, others = _walk(root)
            sources.extend(found)
            missing.extend(odd)
            skipped.extend(others)
        elif given.exists() and not given.is_file():
            missing.append(Missing(given.name, NOT_REGULAR))
        elif given.is_file():
            if problem := _name_problem(given.name):
                missing.append(Missing(given.name, problem))
            elif not supported(given):
                missing.append(Missing(given.name, f"unsupported file type '{given.suffix}': use one of {SUPPORTED}"))
            else:
                sources.append(Source(given.name, given, None))
        else:
            missing.append(Missing(str(given), f"no such file or folder: {given}"))
    unique: dict[str, Source] = {}
    for source in sources:
        if source.doc_id in unique:
            missing.append(
                Missing(
                    source.doc_id, f"doc_id '{source.doc_id}' is also given by {unique[source.doc_id].path}: ingest {source.path} in a separate run"
                )
            )
        else:
            unique[source.doc_id] = source
    return Discovered(list(unique.values()), missing, folders, skipped)


def _walk(root: Path) -> tuple[list[Source], list[Missing], list[str]]:
    found: list[Source] = []
    odd: list[Missing] = []
    others: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith("."):
                continue
            if not supported(path):
                others.append(path.relative_to(root).as_posix())
                continue
            doc_id = path.relative_to(root).as_posix()
            problem = _name_problem(doc_id) or (_link_problem(path, root) if path.is_symlink() else None)
            if problem == OUTSIDE:
                continue
            if problem is None and not path.is_file():
                problem = NOT_REGULAR
            if problem:
                odd.append(Missing(doc_id, problem))
                continue
            found.append(Source(doc_id, path, root))
    return found, odd, others


OUTSIDE = "outside"


def _link_problem(path: Path, root: Path | None) -> str | None:
    """Why a link cannot be read (OUTSIDE: it leads out of the folder `root` being walked, skip it).

    A link loop makes resolve() raise (RuntimeError before Python 3.13, OSError
    after) and is_file() answer False; either way it is one bad entry, reported.
    """
    try:
        target = path.resolve()
    except (RuntimeError, OSError):
        return "a link that leads back to itself (a loop): remove it or point it at a file"
    if root is not None and not _inside(target, root):
        return OUTSIDE
    if not target.exists():
        return f"a broken link (to {target}): fix or remove it"
    return None


def _name_problem(doc_id: str) -> str | None:
    hidden = hidden_characters(doc_id)
    return f"the name holds {hidden}, which would disguise it in listings: rename the file" if hidden else None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
