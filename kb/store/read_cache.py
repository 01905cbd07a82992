"""What every search re-reads but only writes change: the store's generation and document records.

Each search asks Chroma whether another process wrote (the generation) and
which document versions are live (the records). Both change only on writes, so
the generation is re-read at most once every `max_age` seconds (a write by
another process or machine shows within that), and records are kept for as
long as the generation stays the same. Writes by this process invalidate at once.
"""

from __future__ import annotations

import json
import threading
import time

from kb.people.book import PeopleBook
from kb.store.chroma import ChromaStore, DocumentRecord


class ReadCache:
    def __init__(self, store: ChromaStore, max_age: float = 1.0) -> None:
        self.store = store
        self.max_age = max_age
        self._lock = threading.Lock()
        self._generation = ""
        self._checked = float("-inf")
        self._records: dict[str, DocumentRecord | None] = {}
        self._book: PeopleBook | None = None

    def generation(self) -> str:
        if time.monotonic() - self._checked > self.max_age:
            current = self.store.generation()
            with self._lock:
                if current != self._generation:
                    self._records, self._book = {}, None
                self._generation, self._checked = current, time.monotonic()
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

    def speakers(self) -> list[str]:
        """Every name a speaker goes by here (labels, aliases, display names): what a question may call someone."""
        return self.people().every_name()

    def people(self) -> PeopleBook:
        """Who each speaker label is (kb/people/book.py), from the records and the merges; read once per generation."""
        self.generation()
        if self._book is None:
            records = self.store.get_documents().values()
            labels = [name for record in records for name in record.metadata.get("speakers") or []]
            declared = {alias: person for record in records for alias, person in declared_people(record).items()}
            self._book = PeopleBook(labels, declared, self.store.people_links())
        return self._book

    def invalidate(self) -> None:
        with self._lock:
            self._checked = float("-inf")
            self._records, self._book = {}, None


def declared_people(record: DocumentRecord) -> dict[str, str]:
    """alias -> person as a document's front matter declared them (`people:`), stored as JSON on its record."""
    try:
        value = json.loads(str(record.metadata.get("people") or "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
