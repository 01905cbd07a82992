"""The write protocol on the store (kb/store/chroma.py says why it is safe without transactions).

Replacing: new passages are written first, then the document records switch to
the new content hashes (the commit point), then the old passages are deleted.
Removing: the record goes first (the commit point: its passages are dead from
then on), then the passages. Both are framed by the store's "writing" flag, so a
writer killed half-way is seen by `kb doctor`. `KnowledgeBase` writes and
deletes through here, and `kb doctor --repair` removes incomplete documents
through here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from kb.store.chroma import ChromaStore, DocumentRecord, QueryHit, StoredPassage
from kb.store.records import DocumentWrite, chunk_id, document_record, passage_metadata


def is_live(hit: QueryHit, records: dict[str, DocumentRecord]) -> bool:
    """A passage counts only if its document version is the one the record points to."""
    return is_live_version(str(hit.metadata.get("doc_id", "")), hit.metadata.get("doc_hash"), records)


def is_live_version(doc_id: str, doc_hash: object, records: dict[str, DocumentRecord]) -> bool:
    record = records.get(doc_id)
    return record is not None and record.metadata.get("content_hash") == doc_hash


def replace_documents(
    store: ChromaStore, writes: Sequence[DocumentWrite], vectors: Sequence[Sequence[float]] | np.ndarray
) -> tuple[list[StoredPassage], set[str]]:
    """Store new versions of these documents (their passages' vectors in draft order); returns (the passages
    written, the ids of old passages deleted). The caller clears the writing flag once its indexes follow."""
    drafts = [(write, position, draft) for write in writes for position, draft in enumerate(write.drafts)]
    store.mark_writing()
    stored = [
        StoredPassage(chunk_id(write.doc_id, write.content_hash, position, draft.text), draft.text, passage_metadata(write, position, draft), vector)
        for (write, position, draft), vector in zip(drafts, vectors)
    ]
    store.upsert_passages(stored)
    old_ids = store.passage_ids_of([write.doc_id for write in writes])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    store.put_documents([document_record(write, now) for write in writes])
    stale = {chunk for ids in old_ids.values() for chunk in ids} - {p.chunk_id for p in stored}
    store.delete_passages(stale)
    return stored, stale


def remove_documents(store: ChromaStore, doc_ids: Sequence[str]) -> set[str]:
    """Remove documents, record first; returns the ids of their passages, all deleted."""
    store.mark_writing()
    removed: set[str] = set()
    for doc_id in doc_ids:
        store.delete_document(doc_id)  # the commit point: its passages are dead from here on
        ids = set(store.passage_ids(doc_id))
        store.delete_passages(ids)
        removed |= ids
    return removed
