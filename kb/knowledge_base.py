"""`KnowledgeBase`: the knowledge base over a store this process opens; the CLI, the API and scripts share it.

It wires the parts, reads and writes; the parts act. Searches run in
kb/search/searcher.py, answers in kb/answers/asker.py, the BM25 side follows the
store through kb/bm25/store_sync.py, writes go through kb/store/write_protocol.py,
and `kb doctor` is kb/doctor.py. Each part is built on first use, so `kb docs`
never loads the embedding model and `kb --help` loads neither. A store that a
running `kb serve` owns is reached through `RemoteKnowledgeBase` (kb/remote.py)
instead; both offer `KnowledgeBaseLike` (kb/protocol.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb import backup, doctor
from kb.answers.asker import Asker, AskEvent
from kb.answers.composer import Composer
from kb.bm25 import store_sync
from kb.bm25.index import SparseIndex
from kb.contract import MAX_PASSAGE_OFFSET, PASSAGE_PAGE, AskMode, SearchMode
from kb.errors import InvalidInput, NotFound
from kb.models import (
    AskResponse,
    DoctorReport,
    DocumentInfo,
    DocumentPassage,
    DocumentPassages,
    Health,
    Passage,
    Person,
    PersonPage,
    SearchFilters,
    SearchResponse,
)
from kb.people import links as people_links
from kb.people.book import PeopleBook, book_of
from kb.people.summary import list_people, person_page
from kb.search.dense_side import DenseSide
from kb.search.fusion import Candidate, FusionConfig
from kb.search.searcher import Searcher
from kb.settings import Settings
from kb.store.chroma import ChromaStore
from kb.store.claim import Claim, claim_store, release_store
from kb.store.drafts import DocumentWrite, Parser
from kb.store.read_cache import ReadCache
from kb.store.records import document_info, document_passage
from kb.store.write_batch import WriteBatch
from kb.store.write_lock import WriteLock
from kb.store.write_protocol import remove_documents, replace_documents

if TYPE_CHECKING:
    from kb.answers.generative import GenerativeAnswerer
    from kb.embedding import ModelCache, TokenBudget
    from kb.embedding.onnx_embedding import OnnxEmbedding
    from kb.reader.reader import Reader


class KnowledgeBase:
    """Search, ask, list, write and delete documents in a store this process opens (embedded, or a Chroma server).

    `composer` writes extractive answers (default: kb/answers/extractive.py's, built on first use from the
    model's token vectors and the BM25 side's idf); `models` is where the embedding model is loaded once
    (default: shared by the whole process).
    """

    transcribes_here = True  # recordings are transcribed in this process (a served store's server transcribes its own)

    def __init__(
        self, settings: Settings | None = None, fusion: FusionConfig | None = None, composer: Composer | None = None, models: ModelCache | None = None
    ) -> None:
        self.settings = settings or Settings()
        self.models = models
        self.fusion = fusion or FusionConfig()
        self._given_composer = composer
        self._claim: Claim | None = None
        self._store: ChromaStore | None = None

    def claim(self, wait: float = 0.0) -> None:
        """Claim the embedded store for this process before opening it (`kb.store.claim` says why).

        StoreServed when a `kb serve` owns it, StoreBusy when another process
        keeps it past `wait` seconds; nothing to claim on a Chroma server.
        """
        if not self.settings.chroma_url and self._claim is None:
            self._claim = claim_store(self.settings.data_dir, wait)

    def close(self) -> None:
        """Close the store and let another process open it; this object is done."""
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._claim is not None:
            release_store(self._claim)
            self._claim = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def warm_up(self) -> None:
        """Load the model and its token vectors (and the reader, when answers will use it), open the store and bring BM25 up to date: a server
        does this before its first request, so that no user waits for it."""
        self.embedder.token_vectors()
        self.store.count_documents()
        self.sync_sparse()
        if self.settings.reader_in_use:
            _ = self.reader

    # --- the parts, wired on first use ----------------------------------------------
    @property
    def store(self) -> ChromaStore:
        """Chroma, opened (and, embedded, claimed) on first use."""
        if self._store is None:
            from kb.embedding import model_label

            self.claim()
            self._store = ChromaStore(self.settings, model_label(self.settings))
        return self._store

    @cached_property
    def embedder(self) -> OnnxEmbedding:
        from kb.embedding import get_embedder

        return get_embedder(self.settings, self.models)

    @cached_property
    def reads(self) -> ReadCache:
        return ReadCache(self.store)

    @cached_property
    def sparse(self) -> SparseIndex:
        """The BM25 side, persisted under KB_DATA_DIR (one file per store and collection)."""
        bm25 = self.settings.data_dir / "bm25"
        (bm25 / f"{self._store_key}.pkl").unlink(missing_ok=True)  # the pickled layout of earlier builds: rebuilt from Chroma
        return SparseIndex(bm25 / f"{self._store_key}.npz")

    @cached_property
    def write_lock(self) -> WriteLock:
        return WriteLock(self.settings.data_dir / "locks" / f"{self._store_key}.lock")

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.store, DenseSide(self.store, self.embedder), self._synced_sparse, self.reads)

    @cached_property
    def asker(self) -> Asker:
        return Asker(
            search=lambda query, top_k, filters: self.search(query, top_k=top_k, filters=filters).results,
            speakers=lambda: self.book().every_name(),
            composer=lambda: self.composer,
            generator=lambda: self.generator,
            llm_url=self.settings.llm_url,
            person=lambda name: self.book().person(name),
        )

    @cached_property
    def composer(self) -> Composer:
        """The extractive composer, unless one was given."""
        if self._given_composer is not None:
            return self._given_composer
        from kb.answers.extractive import ExtractiveComposer

        self.sync_sparse()
        reader = self.reader if self.settings.reader_answers else None
        return ExtractiveComposer(self.embedder.token_vectors().embed, self.sparse.weights, reader=reader)

    @cached_property
    def reader(self) -> Reader | None:
        """The cross-encoder that reads question and sentence together (kb/reader/), built on first use; None when
        none ships or KB_READER is off."""
        from kb.reader.reader import load_reader

        return load_reader(self.settings.model_cache) if self.settings.reader else None

    @cached_property
    def generator(self) -> GenerativeAnswerer:
        """Answers through the LLM server KB_LLM_URL names, verified with the BM25 side's idf and the embedding model."""
        from kb.answers.generative import GenerativeAnswerer
        from kb.answers.llm_client import LLMClient
        from kb.answers.verification import Verifier

        self.sync_sparse()
        verifier = Verifier(self.embedder.embed, self.sparse.weights, lambda: self.book().labels, reader=self.reader)
        return GenerativeAnswerer(LLMClient(self.settings), verifier, self.settings.llm_context, self.settings.llm_concurrency)

    @cached_property
    def _store_key(self) -> str:
        where = self.settings.chroma_url or "embedded"
        key = hashlib.sha256(f"{where}\x00{self.settings.collection}".encode()).hexdigest()[:12]
        return f"{self.settings.collection}-{key}"

    def token_budget(self) -> TokenBudget:
        """How the model counts tokens and how many it reads: what chunking fits passages to."""
        from kb.embedding import TokenBudget  # the model's modules load only for commands that embed

        return TokenBudget.of(self.embedder)

    # --- reading ------------------------------------------------------------------
    def health(self) -> Health:
        return Health(documents=self.store.count_documents(), passages=self.store.count_passages())

    def documents(self) -> list[DocumentInfo]:
        records = self.store.get_documents()
        book = self.book()
        return sorted((speakers_as_people(document_info(r), book) for r in records.values()), key=lambda d: d.doc_id)

    def document(self, doc_id: str) -> DocumentInfo | None:
        record = self.store.get_documents([doc_id]).get(doc_id)
        return speakers_as_people(document_info(record), self.book()) if record else None

    def transcript_of(self, doc_id: str) -> str:
        """A recording's transcript as WebVTT (made when it was transcribed); NotFound for other documents."""
        record = self.store.get_documents([doc_id]).get(doc_id)
        if record is None:
            raise NotFound(f"no document with doc_id '{doc_id}': GET /v1/documents lists them")
        if not record.metadata.get("transcript_vtt"):
            raise NotFound(f"'{doc_id}' is no recording: only audio and video files have a transcript to download")
        return str(record.metadata["transcript_vtt"])

    def passages_of(self, doc_id: str, offset: int = 0, limit: int = PASSAGE_PAGE.default) -> DocumentPassages:
        """One page of a document's live passages in reading order: a reader checking a quote in its context."""
        if not 0 <= offset <= MAX_PASSAGE_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {MAX_PASSAGE_OFFSET:,}")
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
            passages=[people_in(document_passage(hit), self.book()) for hit in hits],
        )

    def search(self, query: str, top_k: int = 5, filters: SearchFilters | None = None, mode: SearchMode = "hybrid") -> SearchResponse:
        """Hybrid search over live passages, best first, with the contract's Passage fields.

        A speaker filter names a person (any name they go by); results name people, not labels (kb/people/).
        """
        book = self.book()
        response = self.searcher.search(query, top_k, self._for_people(filters, book), mode, self.fusion)
        for passage in response.results:
            as_people(passage, book)
        return response

    def _for_people(self, filters: SearchFilters | None, book: PeopleBook) -> SearchFilters | None:
        """The filters with the speaker's labels resolved: "Adam" finds the lines of "Adam Chlipala" once merged."""
        if filters is None or not filters.speaker:
            return filters
        resolved = filters.model_copy()
        resolved._labels = book.labels_of(filters.speaker) or [filters.speaker]
        return resolved

    def ranked(self, query: str, n: int, filters: SearchFilters, mode: SearchMode = "hybrid") -> list[Candidate]:
        """Every candidate from both sides (up to `n` each), fused and smoothed, best first; no text yet."""
        return self.searcher.ranked(query, n, filters, mode, self.fusion)

    def ask(
        self,
        question: str,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        max_words: int = 120,
        mode: AskMode = "auto",
        on_delta: Callable[[str], None] | None = None,
    ) -> AskResponse:
        """An answer whose every sentence cites a passage, or a plain "nothing relevant" (kb/answers/asker.py)."""
        return self.asker.ask(question, top_k, filters, max_words, mode, on_delta)

    def ask_stream(
        self, question: str, top_k: int = 5, filters: SearchFilters | None = None, max_words: int = 120, mode: AskMode = "auto"
    ) -> Iterator[AskEvent]:
        """`ask` as events: ("delta", text) while the answer is written, then ("answer", AskResponse)."""
        return self.asker.stream(question, top_k, filters, max_words, mode)

    # --- people -----------------------------------------------------------------------
    def book(self) -> PeopleBook:
        """Who each speaker label is (kb/people/book.py), from the records and the merges; read once per generation."""
        return self.reads.memo("people", lambda: book_of(self.store.get_documents().values(), self.store.people_links()))

    def people(self) -> list[Person]:
        """Everyone who speaks in a stored passage, under every name they go by (kb/people/)."""
        sparse = self._synced_sparse()
        return list(self.reads.memo("people-list", lambda: list_people(self.book(), sparse.speaker_rows(), self.store.get_documents())))

    def person(self, name: str) -> PersonPage:
        """One person's documents, lines and topics; NotFound when nobody here goes by `name`."""
        sparse = self._synced_sparse()
        page = person_page(self.book(), name, sparse.speaker_rows(), self.store.get_documents(), self.store.get_passages, sparse.weights.term_weights)
        if page is None:
            raise NotFound(f"nobody here goes by '{name}': `kb people` or GET /v1/people lists who speaks")
        return page

    def merge_people(self, names: list[str], into: str, wait: float = 0.0) -> Person:
        """Every name in `names` becomes the person `into`: one small write, nothing embedded again."""
        return self._change_people(lambda book, links: people_links.merged(book, links, names, into), wait)

    def rename_person(self, name: str, new_name: str, wait: float = 0.0) -> Person:
        """The person `name` is shown as `new_name` from now on (their old names stay aliases)."""
        return self._change_people(lambda book, links: people_links.renamed(book, links, name, new_name), wait)

    def import_people(self, people: dict[str, list[str]], wait: float = 0.0) -> list[Person]:
        """A people file: every alias listed becomes its person (names nobody goes by yet included); those persons."""
        persons: list[str] = []

        def change(book: PeopleBook, links: dict[str, str]) -> tuple[dict[str, str], str]:
            changed, named = people_links.imported(links, people)
            persons.extend(named)
            return changed, named[0] if named else ""

        self._change_people(change, wait)
        return [self._person_now(name) for name in persons]

    def unmerge_person(self, name: str, wait: float = 0.0) -> Person:
        """`name` is its own person again (undoes a merge or rename of that name)."""
        return self._change_people(lambda book, links: people_links.unmerged(book, links, name), wait)

    def _change_people(self, change: Callable[[PeopleBook, dict[str, str]], tuple[dict[str, str], str]], wait: float) -> Person:
        with self.writing(wait, "people"):
            self.reads.invalidate()
            links, shown = change(self.book(), self.store.people_links())
            self.store.put_people_links(links)  # one write; readers see a new people version, the passages stay as they are
            self.reads.invalidate()
        return self._person_now(shown)

    def _person_now(self, name: str) -> Person:
        """Whoever `name` is after a change: their list entry, or (no passage of theirs yet) their names alone."""
        book = self.book()
        found = [person for person in self.people() if person.name == book.person(name)]
        return found[0] if found else Person(name=book.person(name), aliases=book.aliases_of(name), documents=0, passages=0)

    # --- keeping the BM25 side in step ----------------------------------------------
    def sync_sparse(self, fresh: bool = True) -> None:
        """Bring the BM25 side to the store's generation (another process may have written).

        Searches pass fresh=False: the generation is then at most a second old.
        """
        store_sync.sync(self.sparse, self.store, self.store.generation() if fresh else self.reads.generation())

    def _synced_sparse(self) -> SparseIndex:
        """The BM25 side as of the store's generation of the last second (what a search may serve)."""
        self.sync_sparse(fresh=False)
        return self.sparse

    # --- writing ------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, wait: float = 0.0, purpose: str = "ingest") -> Iterator[None]:
        """Hold the store's write lock for a block (StoreBusy when another writer keeps it past `wait`);
        the BM25 file is saved once, at the end of the block, however many writes it holds."""
        with self.write_lock.held(wait, purpose), self.sparse.saving_once():
            yield

    def file_writer(self, parse: Parser) -> WriteBatch:
        """Files parsed here (`parse`: ingest's readers and chunking) and written in large batches."""
        return WriteBatch(parse, self.write_documents)

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

    def delete(self, doc_id: str, wait: float = 0.0) -> None:
        """Remove a document and all its passages; NotFound when it is not stored."""
        with self.writing(wait, "delete"):
            if doc_id not in self.store.get_documents([doc_id]):
                raise NotFound(f"no document with doc_id '{doc_id}': `kb docs` or GET /v1/documents lists them")
            in_sync = self.sparse.generation == self.store.generation()
            self._after_write(in_sync, [], remove_documents(self.store, [doc_id]))

    def _after_write(self, in_sync: bool, added: list[store_sync.StoredRow], removed: set[str]) -> None:
        """New generation; the BM25 side follows incrementally, or resyncs if it was behind. The write is done."""
        generation = self.store.bump_generation()
        if in_sync:
            self.sparse.apply(store_sync.rows_of(added), removed, generation)
        else:
            self.sync_sparse()
        self.store.clear_writing()
        self.reads.invalidate()

    # --- backups ------------------------------------------------------------------
    def backup(self, dest: Path, wait: float = 0.0) -> dict[str, Any]:
        """A consistent snapshot of this store written to the new file `dest` as one archive (kb/backup.py); its
        manifest. Rows are read under the write lock (writers wait, readers do not); `wait` is how long to wait for it."""
        return backup.take_backup(self.store, lambda: self.writing(wait, "backup"), Path(dest))

    @classmethod
    def restore(cls, settings: Settings, source: Path) -> dict[str, Any]:
        """Restore the archive `source` into the empty store `settings` name; the backup's manifest.

        Everything is checked before anything is written. An embedded store is built in a hidden
        folder inside KB_DATA_DIR (with its keyword index) and moved into place when complete; a
        failed restore removes what it wrote. A Chroma server's collection must be empty, and is
        dropped again if the restore fails.
        """
        target = backup.destination(settings)
        made = target is not None and not target.exists()
        built = backup.build_in(target) if target is not None else None
        try:
            with tempfile.TemporaryDirectory(prefix=".unpacking-", dir=built) as folder:
                manifest = backup.unpack(Path(source), Path(folder))
                with cls(settings.model_copy(update={"data_dir": built}) if built else settings) as kb, kb.writing(0, "restore"):
                    if built is None and (kb.store.count_documents() or kb.store.count_passages()):
                        raise backup.BackupRefused(
                            f"collection '{settings.collection}' on the Chroma server already holds a store: restore into a new KB_COLLECTION"
                        )
                    try:
                        backup.restore_rows(kb.store, Path(folder), manifest)
                    except BaseException:
                        if built is None:
                            kb.store.drop()  # it was empty: leave it so
                        raise
                    kb.sync_sparse()
            if built is not None and target is not None:
                backup.move_into_place(built, target)
        except BaseException:
            if built is not None and target is not None:
                backup.discard(built, target, made)
            raise
        return manifest

    # --- consistency --------------------------------------------------------------
    def doctor(self, repair: bool = False, wait: float = 0.0) -> DoctorReport:
        """Is the store consistent (kb/doctor.py)? With `repair`, make it so, under the write lock."""
        if not repair:
            return doctor.examine(self.store, self.sparse)[0]
        with self.writing(wait, "doctor"):
            return doctor.repair(self.store, self.sparse)

    def recover_interrupted(self) -> list[str]:
        """A writer that died mid-write left a flag: repair what it left (kb doctor --repair); what was done."""
        if not self.store.interrupted():
            return []
        return self.doctor(repair=True).repaired


def speakers_as_people(document: DocumentInfo, book: PeopleBook) -> DocumentInfo:
    """A document lists the people who speak in it, as everything else names them."""
    document.speakers = list(dict.fromkeys(book.person(label) for label in document.speakers))
    return document


def people_in(passage: DocumentPassage, book: PeopleBook) -> DocumentPassage:
    """A document's passage in context names people too: its turns and speakers, as search results do."""
    if passage.speaker:
        passage.speaker = book.person(passage.speaker)
    passage.speakers = list(dict.fromkeys(book.person(label) for label in passage.speakers))
    for turn in passage.turns:
        turn.speaker = book.person(turn.speaker) if turn.speaker else None
    return passage


def as_people(passage: Passage, book: PeopleBook) -> Passage:
    """A result names people: its labels become the persons they are; the labels stay readable (excluded) for its lines."""
    labels = {label: book.person(label) for label in passage.speakers}
    passage.labels = {label: person for label, person in labels.items() if person != label}
    if passage.speaker:
        passage.speaker = book.person(passage.speaker)
    passage.speakers = list(dict.fromkeys(labels.values()))
    return passage
