"""`KnowledgeBase`: the public face of panel-kb that the CLI, the API and scripts share.

It wires the parts (store, model, BM25 side, caches) and answers; searches run
in kb/searching.py, stored metadata maps to models in kb/records.py, and the
write and delete sequence is kb/write_protocol.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from kb.answer import NOTHING_RELEVANT, Composer, ExtractiveComposer, any_relevant, keep_valid_markers, nothing_from
from kb.contract import MAX_WORDS, PASSAGE_PAGE, TOP_K, AskMode
from kb.dense_side import DenseSide
from kb.errors import InvalidInput, NotFound
from kb.generative import GenerationFailed
from kb.models import (
    AskResponse,
    DocumentInfo,
    DocumentPassages,
    Health,
    Passage,
    SearchFilters,
    SearchResponse,
    Verification,
)
from kb.question_speaker import speaker_named_in
from kb.read_cache import ReadCache
from kb.records import DocumentWrite, document_info, document_passage, sparse_rows
from kb.retrieval import (
    Candidate,
    FusionConfig,
    Mode,
)
from kb.searching import Searcher
from kb.settings import Settings
from kb.sparse_index import SparseIndex
from kb.store import ChromaStore
from kb.store_claim import Claim, claim_store, release_store
from kb.write_lock import WriteLock
from kb.write_protocol import remove_documents, replace_documents

if TYPE_CHECKING:
    from kb.embedding import ModelCache, TokenBudget
    from kb.generative import Generated, GenerativeAnswerer

AskEvent = tuple[str, "str | AskResponse"]

ASK_POOL = 2  # ask reads ASK_POOL x top_k passages to find its sentences


class KnowledgeBase:
    """Search, list and delete documents; the write path `ingest/` uses to store them.

    The store and the model are opened on first use, so `kb docs` never loads
    the embedding model and `kb --help` loads neither.
    """

    remote = False  # the kb command also drives a served store over HTTP (kb.remote); this one opens the files

    def __init__(
        self, settings: Settings | None = None, fusion: FusionConfig | None = None, composer: Composer | None = None, models: ModelCache | None = None
    ) -> None:
        """`composer` writes answers from the passages a question finds (kb/answer.py's Composer); the default
        is the extractive one, built on first use from the model's token vectors and the BM25 side's idf.
        `models` is where the embedding model is loaded once (default: shared by the whole process)."""
        self.settings = settings or Settings()
        self.models = models
        self.fusion = fusion or FusionConfig()
        self._claim: Claim | None = None
        if composer is not None:
            self.__dict__["composer"] = composer  # what the cached property would have built

    def claim(self, wait: float = 0.0) -> None:
        """Claim the embedded store for this process before opening it (`kb.store_claim` says why).

        StoreServed when a `kb serve` owns it, StoreBusy when another process
        keeps it past `wait` seconds; nothing to claim on a Chroma server.
        """
        if not self.settings.chroma_url and self._claim is None:
            self._claim = claim_store(self.settings.data_dir, wait)

    def close(self) -> None:
        """Close the store and let another process open it; this object is done."""
        self.__dict__.pop("searcher", None)  # it holds the store
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

        return get_embedder(self.settings, self.models)

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
        return sorted((document_info(r) for r in records.values()), key=lambda d: d.doc_id)

    def document(self, doc_id: str) -> DocumentInfo | None:
        record = self.store.get_documents([doc_id]).get(doc_id)
        return document_info(record) if record else None

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
            document=document_info(record),
            offset=offset,
            limit=limit,
            total=total,
            next_offset=offset + limit if offset + limit < total else None,
            passages=[document_passage(hit) for hit in hits],
        )

    @cached_property
    def sparse(self) -> SparseIndex:
        """The BM25 side, persisted under KB_DATA_DIR (one file per store and collection)."""
        bm25 = self.settings.data_dir / "bm25"
        (bm25 / f"{self._store_key}.pkl").unlink(missing_ok=True)  # the pickled layout of earlier builds: rebuilt from Chroma
        return SparseIndex(bm25 / f"{self._store_key}.npz")

    @cached_property
    def write_lock(self) -> WriteLock:
        return WriteLock(self.settings.data_dir / "locks" / f"{self._store_key}.lock")

    @contextlib.contextmanager
    def writing(self, wait: float = 0.0, purpose: str = "ingest") -> Iterator[None]:
        """Hold the store's write lock for a block (StoreBusy when another writer keeps it past `wait`);
        the BM25 file is saved once, at the end of the block, however many writes it holds."""
        with self.write_lock.held(wait, purpose), self.sparse.saving_once():
            yield

    def token_budget(self) -> TokenBudget:
        """How the model counts tokens and how many it reads: what chunking fits passages to."""
        from kb.embedding import TokenBudget  # the model's modules load only for commands that embed

        return TokenBudget.of(self.embedder)

    def recover_interrupted(self) -> list[str]:
        """A writer that died mid-write left a flag: repair what it left (kb doctor --repair); what was done."""
        if not self.store.interrupted():
            return []
        from kb.doctor import repair

        return repair(self).repaired

    @cached_property
    def _store_key(self) -> str:
        where = self.settings.chroma_url or "embedded"
        key = hashlib.sha256(f"{where}\x00{self.settings.collection}".encode()).hexdigest()[:12]
        return f"{self.settings.collection}-{key}"

    def search(self, query: str, top_k: int = 5, filters: SearchFilters | None = None, mode: Mode = "hybrid") -> SearchResponse:
        """Hybrid search over live passages, best first, with the contract's Passage fields."""
        return self.searcher.search(query, top_k, filters, mode, self.fusion)

    def ranked(self, query: str, n: int, filters: SearchFilters, mode: Mode = "hybrid") -> list[Candidate]:
        """Every candidate from both sides (up to `n` each), fused and smoothed, best first; no text yet."""
        return self.searcher.ranked(query, n, filters, mode, self.fusion)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.store, DenseSide(self.store, self.embedder), self._synced_sparse, self.reads)

    def _synced_sparse(self) -> SparseIndex:
        """The BM25 side as of the store's generation of the last second (what a search may serve)."""
        self.sync_sparse(fresh=False)
        return self.sparse

    def ask(
        self,
        question: str,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        max_words: int = 120,
        mode: AskMode = "auto",
        on_delta: Callable[[str], None] | None = None,
    ) -> AskResponse:
        """An answer whose every sentence cites a passage, or a plain "nothing relevant".

        Extractive by default; generative (the team's LLM, every sentence verified) when `mode` asks for it or
        is "auto" with KB_LLM_URL set. A generative answer that fails falls back to the extractive one and says
        why (`fallback`). `on_delta` hears the model's text as it is written, before verification.
        """
        if not MAX_WORDS.holds(max_words):
            raise InvalidInput(f"max_words must be between {MAX_WORDS.low} and {MAX_WORDS.high}")
        filters = filters or SearchFilters()
        if filters.speaker is None and (named := speaker_named_in(question, self.reads.speakers)):
            filters = filters.model_copy(update={"speaker": named})  # "what did Maya Chen say about X": only her words
        # Sentences are drawn from a wider pool than top_k; at most top_k passages end up cited.
        pool = min(TOP_K.high, top_k * ASK_POOL)
        passages = self.search(question, top_k=pool, filters=filters).results
        fallback: str | None = None
        verification: Verification | None = None
        if passages and (mode == "generative" or (mode == "auto" and self.settings.llm_url)):
            try:
                generated = self._generate(question, passages, max_words, top_k, filters.speaker, on_delta)
                return AskResponse(
                    question=question.strip(),
                    answer=generated.text,
                    citations=generated.citations,
                    mode="generative",
                    verification=generated.verification,
                )
            except GenerationFailed as failed:
                fallback, verification = failed.reason, failed.verification

        def elsewhere(topic: str) -> list[Passage]:
            """Asked only when a speaker's own words miss the topic ("glue work"): does anyone else here speak to it?"""
            return self.search(topic or question, top_k=pool, filters=filters.model_copy(update={"speaker": None})).results

        answer, cited = (
            self.composer.compose(question, passages, max_words, max_citations=top_k, speaker=filters.speaker, elsewhere=elsewhere)
            if passages
            else ("", [])
        )
        said = {"fallback": fallback, "verification": verification}
        if not answer:
            silent = nothing_from(filters.speaker) if filters.speaker else NOTHING_RELEVANT
            return AskResponse(question=question.strip(), answer=silent, citations=passages[:top_k], answered=False, **said)
        return AskResponse(question=question.strip(), answer=keep_valid_markers(answer, cited), citations=cited, **said)

    def ask_stream(
        self, question: str, top_k: int = 5, filters: SearchFilters | None = None, max_words: int = 120, mode: AskMode = "auto"
    ) -> Iterator[AskEvent]:
        """`ask` as events: ("delta", text) while the answer is written, then ("answer", AskResponse).

        An extractive answer comes as one delta with its whole text, so a client has one code path. Errors
        (InvalidInput, ...) are raised from the iterator, after any deltas already sent.
        """
        events: queue.Queue[AskEvent | BaseException | None] = queue.Queue()

        def work() -> None:
            try:
                events.put(("answer", self.ask(question, top_k, filters, max_words, mode, on_delta=lambda text: events.put(("delta", text)))))
            except BaseException as exc:  # handed to the reader, who raises it
                events.put(exc)
            finally:
                events.put(None)

        threading.Thread(target=work, name="kb-ask", daemon=True).start()
        streamed = False
        while (event := events.get()) is not None:
            if isinstance(event, BaseException):
                raise event
            if isinstance(event[1], AskResponse) and not streamed:
                yield ("delta", event[1].answer)
            streamed = streamed or event[0] == "delta"
            yield event

    def _generate(self, question: str, passages: list[Passage], max_words: int, top_k: int, speaker: str | None, on_delta) -> Generated:
        if not self.settings.llm_url:
            raise GenerationFailed("no LLM server is configured: set KB_LLM_URL (and KB_LLM_MODEL) to use generative answers")
        if not any_relevant(passages):
            raise GenerationFailed("nothing stored is close enough to the question to write an answer from")
        return self.generator.answer(question, passages, max_words, top_k, speaker, on_delta)

    @cached_property
    def generator(self) -> GenerativeAnswerer:
        """Answers through the LLM server KB_LLM_URL names, verified with the BM25 side's idf and the embedding model."""
        from kb.generative import GenerativeAnswerer
        from kb.llm_client import LLMClient
        from kb.verification import Verifier

        self.sync_sparse()
        verifier = Verifier(self.embedder.embed, self.sparse.weights, self.reads.speakers)
        return GenerativeAnswerer(LLMClient(self.settings), verifier, self.settings.llm_context, self.settings.llm_concurrency)

    @cached_property
    def composer(self) -> Composer:
        """The extractive composer, unless one was given."""
        self.sync_sparse()
        return ExtractiveComposer(self.embedder.token_vectors().embed, self.sparse.weights)

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
        self.sparse.apply(sparse_rows(new_rows), known - present, generation)

    def rebuild_sparse(self) -> None:
        """The BM25 side rebuilt from Chroma alone (doctor's repair)."""
        generation = self.store.generation()
        self.sparse.apply(sparse_rows(list(self.store.iter_passages())), self.sparse.known_ids(), generation)

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
        vectors = self.embedder.embed([draft.embed_text for write in writes for draft in write.drafts])
        stored, stale = replace_documents(self.store, writes, vectors)
        self._after_write(in_sync, [(p.chunk_id, p.text, p.metadata) for p in stored], stale)

    def _after_write(self, in_sync: bool, added: list[tuple[str, str, dict]], removed: set[str]) -> None:
        """New generation; the BM25 side follows incrementally, or resyncs if it was behind. The write is done."""
        generation = self.store.bump_generation()
        if in_sync:
            self.sparse.apply(sparse_rows(added), removed, generation)
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
            self._after_write(in_sync, [], remove_documents(self.store, [doc_id]))
