"""One writer per store at a time: `kb ingest`, `kb delete`, `kb doctor --repair` and API uploads.

An OS file lock (filelock) under KB_DATA_DIR, one per store and collection, so
two ingests on this machine cannot interleave their plans and writes. It dies
with its process (a SIGKILLed ingest never leaves a stale lock). Beside it, a
small note says who holds it, so the second writer can say whom it waits for.
With a Chroma server shared by several machines the lock is per machine; writes
stay atomic per document either way (see KnowledgeBase.write_documents).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from kb.errors import StoreBusy


class WriteLock:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.note = path.with_suffix(".owner")
        # Per thread: another thread of this process (the API's pool) waits like another process would.
        self._lock = FileLock(str(path), thread_local=True)

    @contextlib.contextmanager
    def held(self, wait: float = 0.0, purpose: str = "ingest") -> Iterator[None]:
        """Hold the lock for a block; StoreBusy after `wait` seconds. Re-entrant in one process."""
        outermost = not self._lock.is_locked
        try:
            self._lock.acquire(timeout=max(wait, 0.0))
        except Timeout:
            raise StoreBusy(f"another writer ({self._owner()}) is changing this store: wait for it to finish, or pass --wait SECONDS") from None
        try:
            if outermost:
                fresh = self.note.with_suffix(f".owner-{os.getpid()}")
                fresh.write_text(json.dumps({"pid": os.getpid(), "purpose": purpose, "since": dt.datetime.now().strftime("%H:%M:%S")}))
                os.replace(fresh, self.note)  # a reader sees a whole note, never a half-written one
            yield
        finally:
            self._lock.release()

    def _owner(self) -> str:
        """Who holds the lock; the holder writes its note just after taking it, so give it a moment."""
        for _ in range(20):
            try:
                note = json.loads(self.note.read_text())
                return f"{note['purpose']}, pid {note['pid']}, since {note['since']}"
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)
        return "another process"
