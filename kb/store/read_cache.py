"""What every search re-reads but only writes change: the store's generation and document records.

Each search asks Chroma whether another process wrote (the generation) and
which document versions are live (the records). Both change only on writes, so
the generation is re-read at most once every `max_age` seconds (a write by
another process or machine shows within that), and records are kept for as
long as the generation stays the same. Writes by this process invalidate at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kb.store.chroma import ChromaStore, DocumentRecord


class ReadCache:
    def __init__(self, store: ChromaStore, max_age: float = 1.0) -> None:
        self.store = store
        self.max_age = max_age
        self._lock = threading.Lock()
        self._generation = ""
        self._people = ""
        self._checked = float("-inf")
        self._records: dict[str, DocumentRecord | None] = {}
        self._memo: dict[str, Any] = {}

    def generation(self) -> str:
        """The store's generation (passages and records), re-read at most every `max_age` seconds; so is the
        people links' version, which changes without touching passages (a merge rebuilds no keyword index)."""
        if time.monotonic() - self._checked > self.max_age:
            current, people = self.store.versions()
            with self._lock:
                if current != self._generation:
                    self._records, self._memo = {}, {}
                elif people != self._people:
                    self._memo = {}
                self._generation, self._people, self._checked = current, people, time.monotonic()
        return self._generation

    def records(self, doc_ids: list[str]) -> dict[str, DocumentRecord]:
        """Live records of these documents (absent ones left out), fetching only what is not cached."""
        self.generation()
        cached = self._records
        missing = [d for d in doc_ids if d not in cached]
        if missing:
            found = self.store.get_documents(missing)
            for doc_id in missing:
                cached[doc_id] = found.get(doc_id)
        return {d: record for d in doc_ids if (record := cached.get(d)) is not None}

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """What `build()` gives, built once per generation (who is who, kb/people/, is read from every record).

        A build that a newer generation overtook is returned but not kept: it goes into the memo it
        started with, which the newer generation has already replaced.
        """
        self.generation()
        memo = self._memo
        if key not in memo:
            memo[key] = build()
        return memo[key]

    def invalidate(self) -> None:
        with self._lock:
            self._checked = float("-inf")
            self._records, self._memo = {}, {}
