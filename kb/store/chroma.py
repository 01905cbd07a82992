"""The Chroma side of the store: passages with vectors, and one record per document.

Embedded (`PersistentClient` under KB_DATA_DIR) or a Chroma server
(`KB_CHROMA_URL`), built in one place so every caller agrees on where data is.

Replacing a document is made atomic for readers without transactions: passage
ids include the document's content hash, new passages are written first, the
document record (holding the live hash) is then switched in one write, and only
then are the old passages deleted. Searches drop passages whose hash is not the
live one, so a reader sees the old version or the new one, never a mix, and a
crash at any point leaves a state the next ingest converges from.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import numpy as np

from kb.errors import StoreMismatch, StoreUnavailable
from kb.settings import Settings

DOCS_SUFFIX = "-documents"
STATE_SUFFIX = "-state"
TEXT_KEY = "text"
GENERATION_ID = "generation"
WRITING_ID = "writing"  # present while a write is under way; left behind by a writer that died
PEOPLE_ID = "people"  # the links `kb people merge` made (alias -> person), as one JSON object
PEOPLE_VERSION_ID = "people-version"  # changes with them: what readers poll, without reading the links themselves


@dataclass
class StoredPassage:
    """A passage as written to Chroma: id, text, vector and flat metadata."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]
    embedding: Sequence[float] | None = None


@dataclass
class QueryHit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float


@dataclass
class DocumentRecord:
    doc_id: str
    metadata: dict[str, Any] = field(default_factory=dict)


def clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chroma takes neither None nor empty lists as values; leave them out."""
    return {k: v for k, v in metadata.items() if v is not None and v != []}


def make_client(settings: Settings):
    """The Chroma client the settings name; telemetry is always off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
    ssl = url.scheme == "https"
    try:
        return chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or (443 if ssl else 8000), ssl=ssl, settings=chroma_settings)
    except Exception as exc:
        raise StoreUnavailable(
            f"Cannot reach the Chroma server at KB_CHROMA_URL={settings.chroma_url} ({exc}). Start it with `chroma run` or unset KB_CHROMA_URL."
        ) from None


class ChromaStore:
    """Two Chroma collections: `<name>` (passages) and `<name>-documents` (one record per document)."""

    def __init__(self, settings: Settings, model_label: str) -> None:
        self.client = make_client(settings)
        self.name = settings.collection
        self.passages = self.client.get_or_create_collection(
            self.name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "embed_model": model_label},
        )
        stored_model = (self.passages.metadata or {}).get("embed_model")
        if stored_model and stored_model != model_label:
            raise StoreMismatch(
                f"Collection '{self.name}' was built with {stored_model}, but KB_EMBED_MODEL gives {model_label}. "
                "Use another KB_COLLECTION for this model, or delete the collection and re-ingest."
            )
        self.documents = self.client.get_or_create_collection(self.name + DOCS_SUFFIX, embedding_function=None)
        self.state = self.client.get_or_create_collection(self.name + STATE_SUFFIX, embedding_function=None)
        self.max_batch = self.client.get_max_batch_size()

    def drop(self) -> None:
        """Delete this store's three collections (a failed restore into an empty Chroma server collection)."""
        for name in (self.name, self.name + DOCS_SUFFIX, self.name + STATE_SUFFIX):
            self.client.delete_collection(name)

    def close(self) -> None:
        """Let go of Chroma's files (the last client of a path in a process stops its system)."""
        self.client.close()

    # --- generation: changes on every write, so other processes know to resync -------
    def generation(self) -> str:
        found = self.state.get(ids=[GENERATION_ID], include=["metadatas"])
        return str((found["metadatas"][0] or {}).get("value", "")) if found["ids"] else ""

    def versions(self) -> tuple[str, str]:
        """(the generation, the people links' version) in one read: what a reader checks each second."""
        found = self.state.get(ids=[GENERATION_ID, PEOPLE_VERSION_ID], include=["metadatas"])
        values = {i: str((m or {}).get("value", "")) for i, m in zip(found["ids"], found["metadatas"])}
        return values.get(GENERATION_ID, ""), values.get(PEOPLE_VERSION_ID, "")

    def bump_generation(self) -> str:
        value = uuid.uuid4().hex
        self.state.upsert(ids=[GENERATION_ID], embeddings=[[1.0]], metadatas=[{"value": value}])
        return value

    def mark_writing(self) -> None:
        """Say a write has begun and move the generation, so a crash from here on is visible to all."""
        self.state.upsert(ids=[WRITING_ID], embeddings=[[1.0]], metadatas=[{"pid": os.getpid(), "since": time.time()}])
        self.bump_generation()

    def clear_writing(self) -> None:
        self.state.delete(ids=[WRITING_ID])

    def interrupted(self) -> bool:
        """True when a writer began and never finished (killed, or its machine went down)."""
        return bool(self.state.get(ids=[WRITING_ID], include=[])["ids"])

    def passage_versions(self) -> dict[str, tuple[str, str]]:
        """chunk_id -> (doc_id, doc_hash) of every stored passage, for consistency checks."""
        return {cid: (str(meta.get("doc_id", "")), str(meta.get("doc_hash", ""))) for cid, _, meta in self.iter_passages()}

    # --- people: merges live beside the generation, so every process sees one ------
    def people_links(self) -> dict[str, str]:
        """alias -> person, as `kb people merge` left them (kb/people/book.py reads them)."""
        found = self.state.get(ids=[PEOPLE_ID], include=["metadatas"])
        if not found["ids"]:
            return {}
        try:
            value = json.loads(str((found["metadatas"][0] or {}).get("value") or "{}"))
        except ValueError:
            return {}  # a damaged row must not break every search: the merges are gone until made again (kb doctor says so)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def put_people_links(self, links: dict[str, str]) -> None:
        """Replace the links in one write, with a new version readers notice (callers hold the write lock).

        The passages' generation stays: nothing a keyword index holds changed."""
        value = json.dumps(links, ensure_ascii=False, sort_keys=True)
        self.state.upsert(ids=[PEOPLE_ID, PEOPLE_VERSION_ID], embeddings=[[1.0], [1.0]], metadatas=[{"value": value}, {"value": uuid.uuid4().hex}])

    # --- passages -----------------------------------------------------------------
    def upsert_passages(self, passages: Sequence[StoredPassage]) -> None:
        for start in range(0, len(passages), self.max_batch):
            batch = passages[start : start + self.max_batch]
            # The text rides in metadata, not in `documents`: Chroma full-text-indexes
            # documents on every write (~40% of upsert time) and we never use that index.
            self.passages.upsert(
                ids=[p.chunk_id for p in batch],
                metadatas=[clean_metadata({**p.metadata, TEXT_KEY: p.text}) for p in batch],
                embeddings=[np.asarray(p.embedding, dtype=np.float32) for p in batch],
            )

    def delete_passages(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), self.max_batch):
            self.passages.delete(ids=ids[start : start + self.max_batch])

    def passage_ids(self, doc_id: str) -> list[str]:
        return self.passages.get(where={"doc_id": doc_id}, include=[])["ids"]

    def passage_ids_of(self, doc_ids: Sequence[str]) -> dict[str, set[str]]:
        """doc_id -> ids of all its stored passages (any version), in one round trip."""
        result = self.passages.get(where={"doc_id": {"$in": list(doc_ids)}}, include=["metadatas"])
        found: dict[str, set[str]] = {doc_id: set() for doc_id in doc_ids}
        for passage_id, metadata in zip(result["ids"], result["metadatas"]):
            found.setdefault((metadata or {}).get("doc_id", ""), set()).add(passage_id)
        return found

    def nearest(self, embedding: Sequence[float], n: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        """The `n` passages closest to a unit vector, as (chunk_id, cosine), best first.

        Ids and distances only: fetching 100 passages' metadata with the query
        costs ~4x the query itself at 100k passages, and ranking needs none of it
        (benchmarks/README.md, Scale). Text is fetched for the few that are shown.
        """
        if n <= 0:
            return []
        result = self.passages.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)], n_results=n, where=where or None, include=["distances"]
        )
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(result["ids"][0], result["distances"][0])]

    def similarities(self, ids: Sequence[str], embedding: Sequence[float]) -> dict[str, float]:
        """Cosine of each stored passage to a unit vector (for candidates only the BM25 side found)."""
        if not ids:
            return {}
        result = self.passages.get(ids=list(ids), include=["embeddings"])
        if not len(result["ids"]):
            return {}
        vectors = np.asarray(result["embeddings"], dtype=np.float32)
        scores = vectors @ np.asarray(embedding, dtype=np.float32)  # unit vectors: dot = cosine
        return dict(zip(result["ids"], scores.tolist()))

    def get_passages(self, ids: Sequence[str]) -> list[QueryHit]:
        """Passages by id with their text and metadata (the score is left at 0)."""
        if not ids:
            return []
        return _hits(self.passages.get(ids=list(ids), include=["metadatas"]))

    def iter_passages(self, page: int = 5000):
        """Every stored passage (id, text, metadata), a page at a time."""
        offset = 0
        while True:
            result = self.passages.get(include=["metadatas"], limit=page, offset=offset)
            if not result["ids"]:
                return
            for chunk_id, metadata in zip(result["ids"], result["metadatas"]):
                metadata = dict(metadata or {})
                yield chunk_id, str(metadata.pop(TEXT_KEY, "")), metadata
            offset += len(result["ids"])

    def passage_texts(self, doc_id: str) -> list[str]:
        """Every stored passage text of a document (any version), in position order."""
        result = self.passages.get(where={"doc_id": doc_id}, include=["metadatas"])
        ordered = sorted(result["metadatas"], key=lambda m: (m.get("doc_hash", ""), m.get("position", 0)))
        return [str(m.get(TEXT_KEY, "")) for m in ordered]

    def document_passages(self, doc_id: str, content_hash: str, first: int, stop: int) -> list[QueryHit]:
        """Passages `first` to `stop - 1` (by position) of one version of a document, in order."""
        where = {"$and": [{"doc_id": doc_id}, {"doc_hash": content_hash}, {"position": {"$gte": first}}, {"position": {"$lt": stop}}]}
        hits = _hits(self.passages.get(where=where, include=["metadatas"]))
        return sorted(hits, key=lambda h: int(h.metadata.get("position", 0)))

    def count_passages(self) -> int:
        return self.passages.count()

    # --- documents ----------------------------------------------------------------
    def put_documents(self, records: Sequence[DocumentRecord]) -> None:
        """Write document records in one call: the commit point of their new versions."""
        for start in range(0, len(records), self.max_batch):
            batch = records[start : start + self.max_batch]
            self.documents.upsert(
                ids=[r.doc_id for r in batch], embeddings=[[1.0]] * len(batch), metadatas=[clean_metadata(r.metadata) for r in batch]
            )

    def get_documents(self, doc_ids: Sequence[str] | None = None) -> dict[str, DocumentRecord]:
        if doc_ids is not None and not doc_ids:
            return {}
        result = self.documents.get(ids=list(doc_ids) if doc_ids is not None else None, include=["metadatas"])
        return {i: DocumentRecord(i, dict(m or {})) for i, m in zip(result["ids"], result["metadatas"])}

    def delete_document(self, doc_id: str) -> None:
        self.documents.delete(ids=[doc_id])

    def count_documents(self) -> int:
        return self.documents.count()


def _hits(result: Any) -> list[QueryHit]:
    """A Chroma get's rows as hits: the text lives in the metadata (under TEXT_KEY), the score is left at 0."""
    hits = []
    for chunk_id, metadata in zip(result["ids"], result["metadatas"]):
        metadata = dict(metadata or {})
        hits.append(QueryHit(chunk_id=chunk_id, text=str(metadata.pop(TEXT_KEY, "")), metadata=metadata, score=0.0))
    return hits
