"""`KnowledgeBase`: the public face of panel-kb that the CLI, the API and scripts share."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kb.answer import NOTHING_RELEVANT, Composer, ExtractiveComposer, keep_valid_markers, nothing_from
from kb.contract import MAX_WORDS, PASSAGE_PAGE, TOP_K
from kb.errors import InvalidInput, NotFound
from kb.models import (
    AskResponse,
    DocumentInfo,
    DocumentPassage,
    DocumentPassages,
    Health,
    Passage,
    SearchFilters,
    SearchResponse,
)
from kb.passage_draft import PassageDraft
from kb.passage_lines import turns
from kb.passage_model import load_model as load_passage_model
from kb.passage_model import rerank
from kb.question_speaker import speaker_named_in
from kb.read_cache import ReadCache
from kb.retrieval import (
    Candidate,
    FusionConfig,
    Mode,
    fuse,
    rescore,
    shape_results,
    smooth_transcripts,
    where_clause,
)
from kb.settings import Settings
from kb.sparse_index import SparseIndex, SparseRow, SparseScores, tokenize
from kb.store import ChromaStore, DocumentRecord, QueryHit, StoredPassage
from kb.store_claim import Claim, claim_store, release_store
from kb.timecodes import seconds_to_clock
from kb.write_lock import WriteLock

ASK_POOL = 2  # ask reads ASK_POOL x top_k passages to find its sentences


@dataclass
class DocumentWrite:
    """One document to store: its id, the hash of its source, its metadata and passages."""

    doc_id: str
    content_hash: str
    metadata: dict[str, Any]
    drafts: list[PassageDraft] = field(default_factory=list)


def chunk_id(doc_id: str, content_hash: str, position: int, text: str) -> str:
    """Deterministic passage id: the document, its version, the position and the text."""
    text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hashlib.sha256(f"{doc_id}\x00{content_hash}\x00{position}\x00{text_hash}".encode()).hexdigest()[:32]


class KnowledgeBase:
    """Search, list and delete documents; the write path `ingest/` uses to store them.

    The store and the model are opened on first use, so `kb docs` never loads
    the embedding model and `kb --help` loads neither.
    """

    remote = False  # the kb command also drives a served store over HTTP (kb.remote); this one opens the files

    def __init__(self, settings: Settings | None = None, fusion: FusionConfig | None = None) -> None:
        self.settings = settings or Settings()
        self.fusion = fusion or FusionConfig()
        self._claim: Claim | None = None

    def claim(self, wait: float = 0.0) -> None:
        """Claim the embedded store for this process before opening it (`kb.store_claim` says why).

        StoreServed when a `kb serve` owns it, StoreBusy when another process
        keeps it past `wait` seconds; nothing to claim on a Chroma server.
        """
        if not self.settings.chroma_url and self._claim is None:
            self._claim = claim_store(self.settings.data_dir, wait)

    def close(self) -> None:
        """Close the store and let another process open it; this object is done."""
        store = self.__dict__.pop("store", None)
        if store is not None:
            store.close()
        if self._claim is not None:
            release_store(self._claim)
            self._claim = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def warm_up(self) -> None:
        """Load the model and its token vectors, open the store and bring BM25 up to date: a server does this
        before its first request, so that no user waits for it."""
        self.embedder.token_vectors()
        self.store.count_documents()
        self.sync_sparse()

    @cached_property
    def embedder(self):
        from kb.embedding import get_embedder

        return get_embedder(self.settings)

    @cached_property
    def store(self) -> ChromaStore:
        from kb.embedding import model_label

        self.claim()
        return ChromaStore(self.settings, model_label(self.settings))

    # --- reading ------------------------------------------------------------------
    def health(self) -> Health:
        return Health(documents=self.store.count_documents(), passages=self.store.count_passages())

    def documents(self) -> list[DocumentInfo]:
        records = self.store.get_documents()
        return sorted((_document_info(r) for r in records.values()), key=lambda d: d.doc_id)

    def document(self, doc_id: str) -> DocumentInfo | None:
        record = self.store.get_documents([doc_id]).get(doc_id)
        return _document_info(record) if record else None

    def passages_of(self, doc_id: str, offset: int = 0, limit: int = PASSAGE_PAGE.default) -> DocumentPassages:
        """One page of a document's live passages in reading order: a reader checking a quote in its context."""
        if offset < 0:
            raise InvalidInput("offset must be 0 or more")
        if not PASSAGE_PAGE.holds(limit):
            raise InvalidInput(f"limit must be between {PASSAGE_PAGE.low} and {PASSAGE_PAGE.high}")
        record = self.store.get_documents([doc_id]).get(doc_id)
        if record is None:
            raise NotFound(f"no document with doc_id '{doc_id}': GET /v1/documents lists them")
        total = int(record.metadata.get("passages", 0))
        hits = self.store.document_passages(doc_id, str(record.metadata.get("content_hash", "")), offset, offset + limit)
        return DocumentPassages(
            document=_document_info(record),
            offset=offset,
            limit=limit,
            total=total,
            next_offset=offset + limit if offset + limit < total else None,
            passages=[_document_passage(hit) for hit in hits],
        )

    @cached_property
    def sparse(self) -> SparseIndex:
        """The BM25 side, persisted under KB_DATA_DIR (one file per store and collection)."""
        return SparseIndex(self.settings.data_dir / "bm25" / f"{self._store_key}.pkl")

    @cached_property
    def write_lock(self) -> WriteLock:
        return WriteLock(self.settings.data_dir / "locks" / f"{self._store_key}.lock")

    def writing(self, wait: float = 0.0, purpose: str = "ingest"):
        """Hold the store's write lock for a block (StoreBusy when another writer keeps it past `wait`)."""
        return self.write_lock.held(wait, purpose)

    @cached_property
    def _store_key(self) -> str:
        where = self.settings.chroma_url or "embedded"
        key = hashlib.sha256(f"{where}\x00{self.settings.collection}".encode()).hexdigest()[:12]
        return f"{self.settings.collection}-{key}"

    def search(self, query: str, top_k: int = 5, filters: SearchFilters | None = None, mode: Mode = "hybrid") -> SearchResponse:
        """Hybrid search over live passages, best first, with the contract's Passage fields."""
        query = query.strip()
        if not query:
            raise InvalidInput("query is empty: say what you are looking for")
        if not TOP_K.holds(top_k):
            raise InvalidInput(f"top_k must be between {TOP_K.low} and {TOP_K.high}")
        f = filters or SearchFilters()
        ranked = self.ranked(query, max(self.fusion.candidates, top_k * 4), f, mode)
        records: dict[str, DocumentRecord] = {}
        shaped = shape_results(self._live(ranked, records, batch=_text_batch(top_k)), top_k, bool(f.doc_id), self.fusion.merge_neighbours)
        results = [_passage(c, rank, records[c.doc_id]) for rank, c in enumerate(shaped, start=1)]
        return SearchResponse(query=query, results=results)

    def ranked(self, query: str, n: int, filters: SearchFilters, mode: Mode = "hybrid") -> list[Candidate]:
        """Every candidate from both sides (up to `n` each), fused and smoothed, best first (within one
        document, the learned passage order); no text yet."""
        config = self.fusion
        self.sync_sparse(fresh=False)  # BM25, and where every passage sits
        vector = self.embedder.embed([query])[0] if mode != "sparse" else None
        dense = self.store.nearest(vector, n, where_clause(filters)) if vector is not None else []
        scored = self.sparse.score(query) if mode != "dense" else None
        sparse = self.sparse.search(query, n, doc_id=filters.doc_id, kind=filters.kind, speaker=filters.speaker, scored=scored) if scored else []
        candidates = fuse(dense, sparse, config)
        if mode == "hybrid" and vector is not None and scored is not None:
            self._score_both_sides(candidates, vector, scored)
            rescore(candidates, config)
        self._locate(candidates)
        smooth_transcripts(candidates, config.smoothing)
        ranked = sorted(candidates.values(), key=lambda c: -c.fused)
        # The trees judge which stretch of one conversation answers (trained within one meeting); across
        # documents they cost precise lookups (corpus kb eval), so they order a search within one document.
        trees = load_passage_model() if mode == "hybrid" and config.learned_order and filters.doc_id else None
        return rerank(ranked, len(self.sparse.query_weights(query)), trees) if trees is not None else ranked

    def _score_both_sides(self, candidates: dict[str, Candidate], vector: Sequence[float], scored: SparseScores) -> None:
        """A candidate one side did not return gets its real score there (its cosine, its BM25), not 0."""
        for chunk_id, score in self.store.similarities([c.chunk_id for c in candidates.values() if c.dense_score is None], vector).items():
            candidates[chunk_id].dense_score = score
        for chunk_id, score in scored.of([c.chunk_id for c in candidates.values() if c.sparse_score is None]).items():
            candidates[chunk_id].sparse_score = score

    def _locate(self, candidates: dict[str, Candidate]) -> None:
        """Document, kind and position of every candidate, from the BM25 side's rows (no Chroma read).

        A passage written by another process within the last second is not there
        yet; its text is fetched now instead.
        """
        located = self.sparse.locate(list(candidates))
        for chunk_id, where in located.items():
            candidate = candidates[chunk_id]
            candidate.doc_id, candidate.kind, candidate.position = where.doc_id, where.kind, where.position
        for hit in self.store.get_passages([chunk_id for chunk_id in candidates if chunk_id not in located]):
            candidate = candidates[hit.chunk_id]
            candidate.hit = hit
            candidate.doc_id, candidate.kind, candidate.position = (
                str(hit.metadata.get("doc_id", "")),
                str(hit.metadata.get("kind", "")),
                int(hit.metadata.get("position", -1)),
            )

    def _live(self, ranked: list[Candidate], records: dict[str, DocumentRecord], batch: int) -> Iterator[Candidate]:
        """Candidates in rank order with their text, skipping passages of a replaced version.

        Text is fetched a batch at a time, only as far down the ranking as the
        results reach (usually one batch); `records` collects their documents.
        """
        for start in range(0, len(ranked), batch):
            chunk = ranked[start : start + batch]
            hits = {hit.chunk_id: hit for hit in self.store.get_passages([c.chunk_id for c in chunk if c.hit is None])}
            records.update(self.reads.records(sorted({c.doc_id for c in chunk} - records.keys())))
            for candidate in chunk:
                candidate.hit = candidate.hit or hits.get(candidate.chunk_id)
                if candidate.hit is not None and _is_live(candidate.hit, records):
                    yield candidate

    def ask(self, question: str, top_k: int = 5, filters: SearchFilters | None = None, max_words: int = 120) -> AskResponse:
        """An extractive answer whose every sentence cites a passage, or a plain "nothing relevant"."""
        if not MAX_WORDS.holds(max_words):
            raise InvalidInput(f"max_words must be between {MAX_WORDS.low} and {MAX_WORDS.high}")
        filters = filters or SearchFilters()
        if filters.speaker is None and (named := speaker_named_in(question, self.reads.speakers)):
            filters = filters.model_copy(update={"speaker": named})  # "what did Maya Chen say about X": only her words
        # Sentences are drawn from a wider pool than top_k; at most top_k passages end up cited.
        pool = min(TOP_K.high, top_k * ASK_POOL)
        passages = self.search(question, top_k=pool, filters=filters).results

        def elsewhere(topic: str) -> list[Passage]:
            """Asked only when a speaker's own words miss the topic ("glue work"): does anyone else here speak to it?"""
            return self.search(topic or question, top_k=pool, filters=filters.model_copy(update={"speaker": None})).results

        answer, cited = (
            self.composer.compose(question, passages, max_words, max_citations=top_k, speaker=filters.speaker, elsewhere=elsewhere)
            if passages
            else ("", [])
        )
        if not answer:
            silent = nothing_from(filters.speaker) if filters.speaker else NOTHING_RELEVANT
            return AskResponse(question=question.strip(), answer=silent, citations=passages[:top_k], answered=False)
        return AskResponse(question=question.strip(), answer=keep_valid_markers(answer, cited), citations=cited)

    @cached_property
    def composer(self) -> Composer:
        self.sync_sparse()
        return ExtractiveComposer(self.embedder.token_vectors().embed, self.sparse)

    @cached_property
    def reads(self) -> ReadCache:
        return ReadCache(self.store)

    def sync_sparse(self, fresh: bool = True) -> None:
        """Bring the BM25 side to the store's generation (another process may have written).

        Searches pass fresh=False: the generation is then at most a second old.
        """
        generation = self.store.generation() if fresh else self.reads.generation()
        if self.sparse.generation == generation or self.sparse.reload_if_newer(generation):
            return
        known = self.sparse.known_ids()
        present: set[str] = set()
        new_rows: list[tuple[str, str, dict]] = []
        for chunk_id, text, metadata in self.store.iter_passages():
            present.add(chunk_id)
            if chunk_id not in known:
                new_rows.append((chunk_id, text, metadata))
        self.sparse.apply(_sparse_rows(new_rows), known - present, generation)

    def rebuild_sparse(self) -> None:
        """The BM25 side rebuilt from Chroma alone (doctor's repair)."""
        generation = self.store.generation()
        self.sparse.apply(_sparse_rows(list(self.store.iter_passages())), self.sparse.known_ids(), generation)

    # --- writing ------------------------------------------------------------------
    def write_documents(self, writes: Sequence[DocumentWrite]) -> None:
        """Store (or replace) several documents; readers never see a mix of old and new passages.

        All their passages are embedded in one call (every core busy, each
        text embedded alone so its vector is its own) and upserted in large
        batches. Then, per document, the record switches to the new content hash
        (the commit point) and the old passages are deleted.
        """
        if not writes:
            return
        in_sync = self.sparse.generation == self.store.generation()
        drafts = [(write, position, draft) for write in writes for position, draft in enumerate(write.drafts)]
        vectors = self.embedder.embed([draft.embed_text for _, _, draft in drafts])
        self.store.mark_writing()
        stored = [
            StoredPassage(
                chunk_id(write.doc_id, write.content_hash, position, draft.text),
                draft.text,
                _passage_metadata(write, position, draft),
                vector,
            )
            for (write, position, draft), vector in zip(drafts, vectors)
        ]
        self.store.upsert_passages(stored)
        old_ids = self.store.passage_ids_of([write.doc_id for write in writes])
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        self.store.put_documents([_document_record(write, now) for write in writes])
        live = {p.chunk_id for p in stored}
        stale = {chunk for ids in old_ids.values() for chunk in ids} - live
        self.store.delete_passages(stale)
        self._after_write(in_sync, [(p.chunk_id, p.text, p.metadata) for p in stored], stale)

    def _after_write(self, in_sync: bool, added: list[tuple[str, str, dict]], removed: set[str]) -> None:
        """New generation; the BM25 side follows incrementally, or resyncs if it was behind. The write is done."""
        generation = self.store.bump_generation()
        if in_sync:
            self.sparse.apply(_sparse_rows(added), removed, generation)
        else:
            self.sync_sparse()
        self.store.clear_writing()
        self.reads.invalidate()

    def delete(self, doc_id: str, wait: float = 0.0) -> None:
        """Remove a document and all its passages; NotFound when it is not stored."""
        with self.writing(wait, "delete"):
            if doc_id not in self.store.get_documents([doc_id]):
                raise NotFound(f"no document with doc_id '{doc_id}': `kb docs` or GET /v1/documents lists them")
            in_sync = self.sparse.generation == self.store.generation()
            self.store.mark_writing()
            self.store.delete_document(doc_id)  # the commit point: its passages are dead from here on
            ids = set(self.store.passage_ids(doc_id))
            self.store.delete_passages(ids)
            self._after_write(in_sync, [], ids)


def _document_record(write: DocumentWrite, ingested_at: str) -> DocumentRecord:
    keep = ("title", "kind", "author", "date", "url", "speakers", "format", "source_root")
    metadata = {
        **{k: write.metadata.get(k) for k in keep},
        "content_hash": write.content_hash,
        "passages": len(write.drafts),
        "ingested_at": ingested_at,
    }
    return DocumentRecord(write.doc_id, metadata)


def _passage_metadata(write: DocumentWrite, position: int, draft: PassageDraft) -> dict[str, Any]:
    metadata = write.metadata  # title and url live on the document record only
    return {
        "doc_id": write.doc_id,
        "doc_hash": write.content_hash,
        "position": position,
        "kind": metadata.get("kind"),
        "speaker": draft.speaker,
        "speakers": draft.speakers,
        "start_seconds": draft.start_seconds,
        "end_seconds": draft.end_seconds,
        "page": draft.page,
        "section": draft.section,
        "line_starts": draft.line_starts,
        "cue_marks": draft.cue_marks,
    }


def _is_live(hit: QueryHit, records: dict[str, DocumentRecord]) -> bool:
    """A passage counts only if its document version is the one the record points to."""
    record = records.get(hit.metadata.get("doc_id", ""))
    return record is not None and record.metadata.get("content_hash") == hit.metadata.get("doc_hash")


def _passage(candidate: Candidate, rank: int, record: DocumentRecord) -> Passage:
    assert candidate.hit is not None  # _live fetched it
    hits = sorted([candidate.hit, *candidate.merged], key=lambda h: int(h.metadata.get("position", 0)))
    meta = candidate.hit.metadata
    starts = [h.metadata["start_seconds"] for h in hits if h.metadata.get("start_seconds") is not None]
    ends = [h.metadata["end_seconds"] for h in hits if h.metadata.get("end_seconds") is not None]
    speakers = list(dict.fromkeys(name for h in hits for name in (h.metadata.get("speakers") or [])))
    return Passage(
        n=rank,
        text="\n".join(h.text for h in hits),
        score=round(min(candidate.fused, 1.0), 4),
        doc_id=meta["doc_id"],
        title=record.metadata.get("title") or meta["doc_id"],
        kind=meta.get("kind", "essay"),
        source=meta["doc_id"],
        speaker=hits[0].metadata.get("speaker") if len(hits) > 1 else meta.get("speaker"),
        speakers=speakers,
        start=seconds_to_clock(min(starts)) if starts else None,
        end=seconds_to_clock(max(ends)) if ends else None,
        page=meta.get("page"),
        section=meta.get("section"),
        chunk_id=candidate.chunk_id,
        url=record.metadata.get("url"),
        dense_score=None if candidate.dense_score is None else round(candidate.dense_score, 4),
        chunk_ids=[h.chunk_id for h in hits],
        line_starts=[t for h in hits for t in (h.metadata.get("line_starts") or [])],
        cue_marks=_merged_marks(hits),
    )


def _text_batch(top_k: int) -> int:
    """How many candidates' texts to fetch at a time: twice top_k covers neighbours merged into one result and
    passages of replaced versions skipped, and a few more spare a second round trip when top_k is small."""
    return 2 * top_k + 4


def _document_passage(hit: QueryHit) -> DocumentPassage:
    meta = hit.metadata
    speakers = list(meta.get("speakers") or [])
    return DocumentPassage(
        position=int(meta.get("position", 0)),
        chunk_id=hit.chunk_id,
        text=hit.text,
        speaker=meta.get("speaker"),
        speakers=speakers,
        start=seconds_to_clock(meta.get("start_seconds")),
        end=seconds_to_clock(meta.get("end_seconds")),
        page=meta.get("page"),
        section=meta.get("section"),
        turns=turns(hit.text, speakers, meta.get("line_starts") or []) if meta.get("kind") == "transcript" else [],
    )


def _merged_marks(hits: list[QueryHit]) -> list[float]:
    """Cue marks of neighbouring passages shown as one: line numbers move down past the earlier passages' lines."""
    merged: list[float] = []
    lines_before = 0
    for hit in hits:
        marks = hit.metadata.get("cue_marks") or []
        for i in range(0, len(marks) - 2, 3):
            merged += [marks[i] + lines_before, marks[i + 1], marks[i + 2]]
        lines_before += hit.text.count("\n") + 1
    return merged


def _sparse_rows(rows: list[tuple[str, str, dict]]) -> list[SparseRow]:
    tokens = tokenize([text for _, text, _ in rows]) if rows else []
    return [
        SparseRow(
            chunk_id, words, str(meta.get("doc_id", "")), str(meta.get("kind", "")), tuple(meta.get("speakers") or ()), int(meta.get("position", -1))
        )
        for (chunk_id, _, meta), words in zip(rows, tokens)
    ]


def _document_info(record: DocumentRecord) -> DocumentInfo:
    meta = record.metadata
    return DocumentInfo(
        doc_id=record.doc_id,
        title=meta.get("title") or record.doc_id,
        kind=meta.get("kind", "essay"),
        passages=int(meta.get("passages", 0)),
        ingested_at=meta.get("ingested_at", ""),
        source=record.doc_id,
        author=meta.get("author"),
        date=meta.get("date"),
        url=meta.get("url"),
        speakers=list(meta.get("speakers") or []),
        content_hash=meta.get("content_hash"),
        source_root=meta.get("source_root"),
    )
