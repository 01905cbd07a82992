"""Keeping the BM25 side in step with the store it indexes: rows from stored passages, sync by diff, rebuild.

The index (kb/bm25/index.py) knows the store generation it reflects. A writer
in this process applies its own changes directly; when the store's generation
differs (another process or machine wrote), `sync` diffs passage ids against
Chroma and reads only the passages it lacks. `rebuild` starts over from Chroma
alone (`kb doctor --repair`).
"""

from __future__ import annotations

from kb.bm25.index import SparseIndex
from kb.bm25.postings import SparseRow
from kb.bm25.tokens import tokenize
from kb.store.chroma import ChromaStore

StoredRow = tuple[str, str, dict]  # (chunk_id, text, metadata) as the store gives them


def rows_of(rows: list[StoredRow]) -> list[SparseRow]:
    """BM25 rows of stored passages: their words, and where each sits (document, kind, speakers, position)."""
    tokens = tokenize([text for _, text, _ in rows]) if rows else []
    return [
        SparseRow(
            chunk_id, words, str(meta.get("doc_id", "")), str(meta.get("kind", "")), tuple(meta.get("speakers") or ()), int(meta.get("position", -1))
        )
        for (chunk_id, _, meta), words in zip(rows, tokens)
    ]


def sync(index: SparseIndex, store: ChromaStore, generation: str) -> None:
    """Bring the index to `generation` of the store: a newer file another process saved, else a diff with Chroma."""
    if index.generation == generation or index.reload_if_newer(generation):
        return
    known = index.known_ids()
    present: set[str] = set()
    new_rows: list[StoredRow] = []
    for chunk_id, text, metadata in store.iter_passages():
        present.add(chunk_id)
        if chunk_id not in known:
            new_rows.append((chunk_id, text, metadata))
    index.apply(rows_of(new_rows), known - present, generation)


def rebuild(index: SparseIndex, store: ChromaStore) -> None:
    """The index rebuilt from Chroma alone."""
    generation = store.generation()
    index.apply(rows_of(list(store.iter_passages())), index.known_ids(), generation)
