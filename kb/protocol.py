"""The surface both facades offer: `KnowledgeBase` (this process opens the store) and `RemoteKnowledgeBase`
(a running `kb serve` owns it). Every caller that may get either types against `KnowledgeBaseLike` and calls
the same methods; none asks which one it has.

Files reach a store through a `FileWriter` the facade hands out: the local one
parses each file with the parser ingest gives it and writes documents in large
batches; the remote one uploads the bytes and the server parses them.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kb.contract import AskMode, SearchMode
from kb.models import (
    AskResponse,
    DoctorReport,
    DocumentInfo,
    DocumentPassages,
    Health,
    IngestReport,
    Person,
    PersonPage,
    SearchFilters,
    SearchResponse,
)
from kb.settings import Settings
from kb.store.drafts import IncomingFile, Parser

if TYPE_CHECKING:
    from kb.embedding import TokenBudget


class FileWriter(Protocol):
    """Takes files one at a time and stores them, in batches where it can; each call reports the files it finished."""

    def add(self, file: IncomingFile) -> IngestReport: ...

    def flush(self) -> IngestReport: ...


class KnowledgeBaseLike(Protocol):
    """What the kb command, ingest, MCP and evaluation may ask of a knowledge base, wherever its store is opened."""

    settings: Settings

    def close(self) -> None: ...

    def __enter__(self) -> KnowledgeBaseLike: ...

    def __exit__(self, *_: object) -> None: ...

    def health(self) -> Health: ...

    def search(self, query: str, top_k: int = 5, filters: SearchFilters | None = None, mode: SearchMode = "hybrid") -> SearchResponse: ...

    def ask(
        self,
        question: str,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        max_words: int = 120,
        mode: AskMode = "auto",
        on_delta: Callable[[str], None] | None = None,
    ) -> AskResponse: ...

    def documents(self) -> list[DocumentInfo]: ...

    def document(self, doc_id: str) -> DocumentInfo | None: ...

    def passages_of(self, doc_id: str, offset: int = 0, limit: int = 100) -> DocumentPassages: ...

    def delete(self, doc_id: str, wait: float = 0.0) -> None: ...

    def transcript_of(self, doc_id: str) -> str: ...

    def people(self) -> list[Person]: ...

    def person(self, name: str) -> PersonPage: ...

    def merge_people(self, names: list[str], into: str, wait: float = 0.0) -> Person: ...

    def rename_person(self, name: str, new_name: str, wait: float = 0.0) -> Person: ...

    def import_people(self, people: dict[str, list[str]], wait: float = 0.0) -> list[Person]: ...

    def unmerge_person(self, name: str, wait: float = 0.0) -> Person: ...

    def doctor(self, repair: bool = False, wait: float = 0.0) -> DoctorReport: ...

    def writing(self, wait: float = 0.0, purpose: str = "ingest") -> AbstractContextManager[None]:
        """Hold the store's write lock for a block (a served store's server takes it per request)."""
        ...

    def backup(self, dest: Path, wait: float = 0.0) -> dict[str, Any]:
        """A consistent snapshot of the store in the new file `dest` (kb/backup.py); the archive's manifest."""
        ...

    def recover_interrupted(self) -> list[str]:
        """Repair what a writer that died mid-write left; what was done (a served store's server does its own)."""
        ...

    def token_budget(self) -> TokenBudget:
        """How the model counts tokens and how many it reads: what chunking fits passages to."""
        ...

    def file_writer(self, parse: Parser) -> FileWriter:
        """Where ingest hands the files it read: `parse` turns one into a document when this process writes them."""
        ...


__all__ = ["FileWriter", "IncomingFile", "KnowledgeBaseLike", "Parser"]

if TYPE_CHECKING:  # mypy checks that both facades offer the whole surface
    from kb.knowledge_base import KnowledgeBase
    from kb.remote import RemoteKnowledgeBase

    _local: type[KnowledgeBaseLike] = KnowledgeBase
    _remote: type[KnowledgeBaseLike] = RemoteKnowledgeBase
