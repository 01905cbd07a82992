"""One process at a time opens an embedded store; `kb serve` lends it to the others.

Why: Chroma's PersistentClient is thread-safe but not process-safe. A process
keeps the vector index in memory and never sees what another process wrote
(a server answering 500 "Error finding id" for passages a `kb ingest` added
from a shell), and two writers can overwrite each other's index files. So the
process that opens `KB_DATA_DIR/chroma` claims it with an OS file lock held
for as long as it has the store open (it dies with the process, so a killed
process never leaves a stale claim; filelock, as for the write lock). `kb serve` publishes its address and a
token beside the lock; a `kb` command that finds the store served goes through
that server's HTTP API instead of opening the files (see `kb.remote`).

With a Chroma server (KB_CHROMA_URL) none of this applies: Chroma's server
is the one process that owns the files, and any number of processes use it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from filelock import FileLock, Timeout

from kb.errors import StoreBusy


@dataclass(frozen=True)
class Holder:
    """Who has the store open, as its note says."""

    pid: int
    command: str
    since: str
    url: str | None = None
    token: str | None = None

    def describe(self) -> str:
        return f"pid {self.pid}: `{self.command}`, since {self.since}"


class StoreServed(StoreBusy):
    """A running `kb serve` owns the store: go through its API (the kb command does)."""

    def __init__(self, holder: Holder) -> None:
        super().__init__(
            f"`kb serve` ({holder.describe()}) owns this store and answers at {holder.url}: use its HTTP API "
            "(the kb command does so by itself), or stop it to open the store here"
        )
        self.holder = holder


class Claim:
    """This process's hold on one store folder: one lock, shared by every user in the process."""

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self.note_path = lock_path.with_suffix(".holder")
        self.users = 0
        self.token: str | None = None
        self._lock = FileLock(str(lock_path), thread_local=False, is_singleton=False)

    def acquire(self, wait: float) -> None:
        """Take the lock, waiting up to `wait` seconds for a `kb` command that holds it.

        StoreServed at once when a server holds it; StoreBusy when `wait` runs out.
        """
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                self._lock.acquire(timeout=0)
                break
            except Timeout:
                holder = read_holder(self.note_path)
                if holder is not None and holder.url:
                    raise StoreServed(holder) from None
                if time.monotonic() >= deadline:
                    who = holder.describe() if holder else "another process"
                    raise StoreBusy(
                        f"this store is open in another process ({who}); an embedded store is opened by one process "
                        "at a time. Wait for it (--wait SECONDS), or run `kb serve`: kb commands then go through it"
                    ) from None
                time.sleep(0.1)
        self._write_note()

    def publish(self, url: str) -> str:
        """Say where this process serves the store; returns the token that lets local kb commands in."""
        self.token = secrets.token_urlsafe(32)
        self._write_note(url)
        return self.token

    def release(self) -> None:
        if self._lock.is_locked:
            try:
                self.note_path.unlink(missing_ok=True)
            finally:
                self._lock.release()
                self.token = None

    def _write_note(self, url: str | None = None) -> None:
        since = dt.datetime.now().strftime("%H:%M:%S")
        note = {"pid": os.getpid(), "command": _command_line(), "since": since, "url": url, "token": self.token}
        fresh = self.note_path.with_suffix(f".holder-{os.getpid()}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the token is a key: owner-only
        with os.fdopen(fd, "w") as handle:
            json.dump(note, handle)
        os.replace(fresh, self.note_path)  # a reader sees a whole note, never a half-written one


_CLAIMS: dict[Path, Claim] = {}
_GUARD = threading.Lock()


def claim_store(data_dir: Path, wait: float = 0.0) -> Claim:
    """Claim the embedded store under `data_dir` for this process (counted: `release_store` once per claim)."""
    lock_path = _lock_path(data_dir)
    with _GUARD:
        held = _CLAIMS.get(lock_path)
        if held is None:
            held = Claim(lock_path)
            held.acquire(wait)
            _CLAIMS[lock_path] = held
        held.users += 1
        return held


def release_store(held: Claim) -> None:
    """One user of the claim is done; the last one lets the store go."""
    with _GUARD:
        held.users -= 1
        if held.users <= 0:
            _CLAIMS.pop(held.lock_path, None)
            held.release()


def served_token(data_dir: Path) -> str | None:
    """The token this process published for its store, if it serves one."""
    held = _CLAIMS.get(_lock_path(data_dir))
    return held.token if held else None


@lru_cache(maxsize=16)
def _lock_path(data_dir: Path) -> Path:
    """Where the claim on a store lives; resolved once (the guards ask on every request)."""
    return (data_dir / "locks" / "chroma.lock").resolve()


def read_holder(note_path: Path) -> Holder | None:
    """The note of a live holder; None when there is none (or it is being written, or its writer died)."""
    for _ in range(10):  # the holder writes its note just after taking the lock: give it a moment
        try:
            note = json.loads(note_path.read_text())
            holder = Holder(int(note["pid"]), str(note["command"]), str(note["since"]), note.get("url"), note.get("token"))
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.05)
            continue
        return holder if _alive(holder.pid) else None
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _command_line() -> str:
    """What the holder runs, for the message a refused process prints (`kb ingest talks/`)."""
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("python")
    name = program.parent.name if program.name == "__main__.py" else program.name  # python -m pytest
    return " ".join([name, *sys.argv[1:3]])[:120]
