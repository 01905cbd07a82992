"""A store that a running `kb serve` owns, driven through its HTTP API.

Why: an embedded store is opened by one process at a time (`kb.store.claim`).
While `kb serve` has it, `kb ingest`, `kb search` and the rest of the command
go through the server instead: the server does the reading, chunking and
writing, so it sees every write at once and nobody's index goes stale. This
client offers the same surface as `KnowledgeBase` (`KnowledgeBaseLike`,
kb/protocol.py) with the same models, and turns the API's error answers back
into our errors.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import httpx

from kb.contract import AskMode, SearchMode, is_recording
from kb.errors import InvalidInput, KBError, NotFound, StoreBusy, StoreUnavailable, UnreadableDocument
from kb.models import (
    AskResponse,
    DoctorReport,
    DocumentInfo,
    DocumentList,
    DocumentPassages,
    FileReport,
    Health,
    IngestReport,
    PeopleList,
    Person,
    PersonPage,
    SearchFilters,
    SearchResponse,
)
from kb.settings import Settings
from kb.store.drafts import IncomingFile, Parser

if TYPE_CHECKING:
    from kb.embedding import TokenBudget

ERRORS: dict[int, type[KBError]] = {404: NotFound, 409: StoreBusy, 422: InvalidInput, 503: StoreUnavailable}
ERRORS_BY_CODE: dict[str, type[KBError]] = {error.code: error for error in ERRORS.values()}
STARTING_WAIT = 60.0  # a server that has just claimed the store may still be loading the model
RECORDING_WAIT = 3600.0  # seconds an upload of a recording may wait for the server's answer (transcription included)


class RemoteKnowledgeBase:
    """`KnowledgeBase`'s reads and writes, answered by the server at `url`."""

    def __init__(self, url: str, token: str | None, settings: Settings | None = None, timeout: float = 300.0) -> None:
        self.url = url.rstrip("/")
        self.settings = settings or Settings()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteKnowledgeBase:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- reading ------------------------------------------------------------------
    def health(self) -> Health:
        return Health.model_validate(self._call("GET", "/v1/health"))

    def search(self, query: str, top_k: int = 5, filters: SearchFilters | None = None, mode: SearchMode = "hybrid") -> SearchResponse:
        body = {"query": query, "top_k": top_k, "filters": _filters(filters), "mode": mode}
        return SearchResponse.model_validate(self._call("POST", "/v1/search", json=body))

    def ask(
        self,
        question: str,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        max_words: int = 120,
        mode: AskMode = "auto",
        on_delta: Callable[[str], None] | None = None,
    ) -> AskResponse:
        """The server's answer; with `on_delta`, read from its event stream so the text is heard as it is written."""
        body = {"question": question, "top_k": top_k, "filters": _filters(filters), "max_words": max_words, "mode": mode}
        if on_delta is None:
            return AskResponse.model_validate(self._call("POST", "/v1/ask", json=body))
        for event, data in self._events("/v1/ask/stream", body):
            if event == "delta":
                on_delta(data["text"])
            elif event == "answer":
                return AskResponse.model_validate(data)
            elif event == "error":
                raise ERRORS_BY_CODE.get(data["error"]["code"], KBError)(f"{data['error']['message']} (from `kb serve` at {self.url})")
        raise StoreUnavailable(f"`kb serve` at {self.url} ended the answer's stream without an answer: check its log")

    def documents(self) -> list[DocumentInfo]:
        return DocumentList.model_validate(self._call("GET", "/v1/documents")).documents

    def document(self, doc_id: str) -> DocumentInfo | None:
        try:
            return DocumentInfo.model_validate(self._call("GET", f"/v1/documents/{quote(doc_id)}"))
        except NotFound:
            return None

    def passages_of(self, doc_id: str, offset: int = 0, limit: int = 100) -> DocumentPassages:
        return DocumentPassages.model_validate(
            self._call("GET", f"/v1/documents/{quote(doc_id)}/passages", params={"offset": offset, "limit": limit})
        )

    def transcript_of(self, doc_id: str) -> str:
        response = self._http.get(f"/v1/documents/{quote(doc_id)}/transcript")
        if not response.is_success:
            self._raise(response, "transcript")
        return response.text

    def people(self) -> list[Person]:
        return PeopleList.model_validate(self._call("GET", "/v1/people")).people

    def person(self, name: str) -> PersonPage:
        return PersonPage.model_validate(self._call("GET", f"/v1/people/{quote(name, safe='')}"))

    def merge_people(self, names: list[str], into: str, wait: float = 0.0) -> Person:
        return Person.model_validate(self._call("POST", "/v1/people/merge", json={"names": names, "into": into}))

    def rename_person(self, name: str, new_name: str, wait: float = 0.0) -> Person:
        return Person.model_validate(self._call("POST", "/v1/people/rename", json={"name": name, "new_name": new_name}))

    def import_people(self, people: dict[str, list[str]], wait: float = 0.0) -> list[Person]:
        return PeopleList.model_validate(self._call("POST", "/v1/people/import", json={"people": people})).people

    def unmerge_person(self, name: str, wait: float = 0.0) -> Person:
        return Person.model_validate(self._call("POST", "/v1/people/unmerge", json={"name": name}))

    def doctor(self, repair: bool = False, wait: float = 0.0) -> DoctorReport:
        """The server's `kb doctor` report, repaired when asked (the server waits for its own write lock)."""
        return DoctorReport.model_validate(self._call("POST", "/v1/doctor", json={"repair": repair}))

    def backup(self, dest: Path, wait: float = 0.0) -> dict[str, Any]:
        """The server's snapshot of the store, streamed into the new file `dest`; its manifest."""
        from kb import backup

        partial = backup.new_file(Path(dest))
        try:
            # The server builds the whole archive before its first byte: minutes at a large store.
            with self._http.stream("POST", "/v1/backup", timeout=httpx.Timeout(60, read=3600)) as response:
                if not response.is_success:
                    response.read()
                    self._raise(response, "/v1/backup")
                with open(partial, "wb") as out:
                    for block in response.iter_bytes(1 << 20):
                        out.write(block)
            manifest = backup.read_manifest(partial)
            backup.publish(partial, Path(dest))
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"the backup from `kb serve` at {self.url} failed ({exc.__class__.__name__}): check its log") from None
        finally:
            partial.unlink(missing_ok=True)
        manifest["archive_bytes"] = Path(dest).stat().st_size
        return manifest

    def recover_interrupted(self) -> list[str]:
        """The server repairs an interrupted write itself, before its next write."""
        return []

    @cached_property
    def embedder(self):
        """The local model, for a dry run's passage counts (the server embeds what is written)."""
        from kb.embedding import get_embedder

        return get_embedder(self.settings)

    def token_budget(self) -> TokenBudget:
        """The local model's token counting, for a dry run's passage counts."""
        from kb.embedding import TokenBudget

        return TokenBudget.of(self.embedder)

    # --- writing ------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, wait: float = 0.0, purpose: str = "ingest") -> Iterator[None]:
        """The server takes its write lock per request; nothing to hold here."""
        yield

    def upload(
        self, doc_id: str, data: bytes, kind: str | None = None, source_root: str | None = None, speaker_names: dict[str, str] | None = None
    ) -> IngestReport:
        """Ingest one file's bytes as `doc_id` on the server (same readers, chunking and idempotency)."""
        fields = {"doc_id": doc_id, **({"kind": kind} if kind else {}), **({"source_root": source_root} if source_root else {})}
        if speaker_names:
            fields["speaker_names"] = json.dumps(speaker_names)
        files = {"file": (doc_id.rsplit("/", 1)[-1], data, "application/octet-stream")}
        # The server transcribes a recording before it answers: minutes for an hour-long panel (and it may wait for the lock).
        timeout = httpx.Timeout(60, read=RECORDING_WAIT) if is_recording(doc_id) else None
        try:
            return IngestReport.model_validate(
                self._call("POST", "/v1/documents", data=fields, files=files, **({"timeout": timeout} if timeout else {}))
            )
        except StoreUnavailable as exc:
            if timeout is None or "Timeout" not in exc.message:
                raise
            raise UnreadableDocument(
                f"the server took over {RECORDING_WAIT / 60:.0f} minutes to transcribe it: see `kb docs` later, or ingest it on the server"
            ) from None

    def file_writer(self, parse: Parser) -> Uploads:
        """Each file's bytes go to the server, which reads, chunks and writes them (`parse` is not needed here)."""
        return Uploads(self)

    def delete(self, doc_id: str, wait: float = 0.0) -> None:
        self._call("DELETE", f"/v1/documents/{quote(doc_id)}")

    # --- HTTP ---------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; a server still starting is waited for, an error answer becomes our error."""
        deadline = time.monotonic() + STARTING_WAIT
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise StoreUnavailable(
                        f"`kb serve` owns this store but does not answer at {self.url}: check its log, or stop it to use the store directly"
                    ) from None
                time.sleep(0.25)
            except httpx.HTTPError as exc:
                raise StoreUnavailable(f"the request to `kb serve` at {self.url} failed ({exc.__class__.__name__}): check its log") from None
        if not response.is_success:
            self._raise(response, path)
        return response.json()

    def _events(self, path: str, body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        """A request answered with Server-Sent Events, as (event, data) pairs; an error answer becomes our error."""
        try:
            with self._http.stream("POST", path, json=body) as response:
                if not response.is_success:
                    response.read()
                    self._raise(response, path)
                event, data = "message", []
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line[len("event:") :].strip()
                    elif line.startswith("data:"):
                        data.append(line[len("data:") :].lstrip())
                    elif not line and data:  # a blank line ends an event; comments (keep-alives) have no data
                        yield event, json.loads("\n".join(data))
                        event, data = "message", []
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"the request to `kb serve` at {self.url} failed ({exc.__class__.__name__}): check its log") from None

    def _raise(self, response: httpx.Response, path: str) -> NoReturn:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200] or response.reason_phrase
        error = UnreadableDocument if response.status_code == 422 and path == "/v1/documents" else ERRORS.get(response.status_code, KBError)
        raised = error(f"{message} (from `kb serve` at {self.url})")
        raised.status = response.status_code  # type: ignore[attr-defined]  # whose failure it was (the file's: 413/415/422)
        raise raised


class Uploads:
    """`RemoteKnowledgeBase.file_writer`: each file uploaded as it comes; the server's answer is its report."""

    def __init__(self, kb: RemoteKnowledgeBase) -> None:
        self.kb = kb

    def add(self, file: IncomingFile) -> IngestReport:
        try:
            return self.kb.upload(file.doc_id, file.data, file.kind, source_root=file.source_root, speaker_names=file.speaker_names)
        except StoreUnavailable:
            raise  # the server is gone: every file would fail the same way
        except KBError as exc:
            report = IngestReport()
            the_files = isinstance(exc, UnreadableDocument | InvalidInput) or getattr(exc, "status", None) in (413, 415)
            report.record(FileReport(doc_id=file.doc_id, status="failed", error=exc.message, retry=not the_files))
            return report

    def flush(self) -> IngestReport:
        """Every upload was answered when it was sent."""
        return IngestReport()


def _filters(filters: SearchFilters | None) -> dict[str, Any] | None:
    return filters.model_dump(exclude_none=True) if filters else None
