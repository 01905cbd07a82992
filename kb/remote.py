"""A store that a running `kb serve` owns, driven through its HTTP API.

Why: an embedded store is opened by one process at a time (`kb.store_claim`).
While `kb serve` has it, `kb ingest`, `kb search` and the rest of the command
go through the server instead: the server does the reading, chunking and
writing, so it sees every write at once and nobody's index goes stale. This
client offers the part of `KnowledgeBase` the command uses, with the same
models, and turns the API's error answers back into our errors.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from functools import cached_property
from typing import Any
from urllib.parse import quote

import httpx

from kb.contract import AskMode
from kb.doctor import DoctorReport
from kb.errors import InvalidInput, KBError, NotFound, StoreBusy, StoreUnavailable, UnreadableDocument
from kb.models import AskResponse, DocumentInfo, DocumentList, DocumentPassages, IngestReport, SearchFilters, SearchResponse
from kb.settings import Settings

ERRORS: dict[int, type[KBError]] = {404: NotFound, 409: StoreBusy, 422: InvalidInput, 503: StoreUnavailable}
STARTING_WAIT = 60.0  # a server that has just claimed the store may still be loading the model


class RemoteKnowledgeBase:
    """`KnowledgeBase`'s reads and writes, answered by the server at `url`."""

    remote = True

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
    def search(self, query: str, top_k: int = 5, filters: SearchFilters | None = None) -> SearchResponse:
        body = {"query": query, "top_k": top_k, "filters": _filters(filters)}
        return SearchResponse.model_validate(self._call("POST", "/v1/search", json=body))

    def ask(self, question: str, top_k: int = 5, filters: SearchFilters | None = None, max_words: int = 120, mode: AskMode = "auto") -> AskResponse:
        body = {"question": question, "top_k": top_k, "filters": _filters(filters), "max_words": max_words, "mode": mode}
        return AskResponse.model_validate(self._call("POST", "/v1/ask", json=body))

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

    def doctor(self, repair: bool = False) -> DoctorReport:
        """The server's `kb doctor` report, repaired when asked."""
        return DoctorReport.model_validate(self._call("POST", "/v1/doctor", json={"repair": repair}))

    @cached_property
    def embedder(self):
        """The local model, for a dry run's passage counts (the server embeds what is written)."""
        from kb.embedding import get_embedder

        return get_embedder(self.settings)

    def token_budget(self):
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
        return IngestReport.model_validate(self._call("POST", "/v1/documents", data=fields, files=files))

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
        if response.is_success:
            return response.json()
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200] or response.reason_phrase
        error = UnreadableDocument if response.status_code == 422 and path == "/v1/documents" else ERRORS.get(response.status_code, KBError)
        raise error(f"{message} (from `kb serve` at {self.url})")


def _filters(filters: SearchFilters | None) -> dict[str, Any] | None:
    return filters.model_dump(exclude_none=True) if filters else None
