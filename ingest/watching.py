"""A watched drop folder: after the first pass, every batch of file changes goes through the same ingest.

watchfiles (Rust notify underneath) reports changes; a batch closes once the
folder has been quiet for `debounce` milliseconds, and its files must then keep
the same size and modification time for `settle` seconds, so a transcript still
being written or copied is not read half-way. Editors' swap and backup files
(watchfiles' default filter) and files no reader takes are ignored. Each batch
re-runs `ingest_paths` over the watched paths: unchanged files are skipped by
content hash, new and edited ones written, and with `prune` a deleted or renamed
file's old document removed, under the same write lock and with the same report
as `kb ingest`. A file that fails is reported once and skipped until it changes
(`Failures`: not read again on every batch); the watcher goes on. Once the watch
is armed, one catch-up pass picks up what was dropped between the caller's first
pass and the watch (under load that gap lasted long enough to lose a file).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import Failures, ingest_paths
from kb.contract import FORMATS
from kb.models import IngestReport
from kb.protocol import KnowledgeBaseLike

DEBOUNCE_MS = 800  # a batch closes after this long without another change (a copy of many files is one batch)
CATCH_UP_MS = 1000  # the watcher says it is armed (a quiet yield) this soon, then catches up once
SETTLE_SECONDS = 1.0  # a file must look the same this long before it is read (a slow copy, a recorder still writing)


@dataclass
class Batch:
    """What changed on disk (paths, as watchfiles saw them) and what the ingest made of it."""

    changed: list[str]
    report: IngestReport


def watch(
    paths: list[Path],
    kb: KnowledgeBaseLike,
    prune: bool = False,
    kind: str | None = None,
    speaker_names: dict[str, str] | None = None,
    wait: float = 30.0,
    stop_event=None,
    debounce_ms: int = DEBOUNCE_MS,
    settle: float = SETTLE_SECONDS,
    failures: Failures | None = None,
) -> Iterator[Batch]:
    """Each batch of changes under `paths`, once applied. Runs until `stop_event` is set or KeyboardInterrupt.

    `failures`: what the first pass (the caller's) learned about files that fail, so they are not read again.
    """
    from watchfiles import DefaultFilter
    from watchfiles import watch as changes_of

    ignore = DefaultFilter()
    failures = failures if failures is not None else Failures()

    def relevant(change, path: str) -> bool:
        return ignore(change, path) and (Path(path).suffix.lower() in FORMATS or Path(path).is_dir() or not Path(path).suffix)

    caught_up = False
    watching = changes_of(
        *paths, watch_filter=relevant, debounce=debounce_ms, step=100, stop_event=stop_event, rust_timeout=CATCH_UP_MS, yield_on_timeout=True
    )
    for changes in watching:
        if not changes and caught_up:
            continue
        # The first quiet yield means the watch is armed: one pass catches what changed between the caller's
        # first pass and now (a file dropped then raised no event we could see). Every batch is a full pass too.
        caught_up = True
        changed = sorted({path for _, path in changes})
        settled(changed, settle)
        report = ingest_paths(paths, kb, kind=kind, prune=prune, wait=wait, speaker_names=speaker_names, failures=failures)
        if changes or any(f.status != "unchanged" for f in report.files):
            yield Batch(changed, report)


def settled(paths: list[str], settle: float, timeout: float = 600.0, sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait until none of `paths` changes size or modification time for `settle` seconds (files that are gone
    count as settled): a copy in progress keeps growing."""
    deadline = time.monotonic() + timeout
    before = _looks(paths)
    while time.monotonic() < deadline:
        sleep(settle)
        now = _looks(paths)
        if now == before:
            return
        before = now


def _looks(paths: list[str]) -> dict[str, tuple[int, int] | None]:
    looks: dict[str, tuple[int, int] | None] = {}
    for path in paths:
        try:
            stat = Path(path).stat()
            looks[path] = (stat.st_size, stat.st_mtime_ns)
        except OSError:
            looks[path] = None
    return looks
