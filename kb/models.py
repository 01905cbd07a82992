"""The contract's shapes (shared CONTRACT.md), as pydantic models.

The CLI's `--json` and the HTTP API both print these, so they cannot drift.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, field_validator

from kb.contract import KINDS, MAX_WORDS, TOP_K, AnswerMode, AskMode, Kind, SearchMode  # noqa: F401  # re-exported: callers import the shapes from here

FileStatus = Literal["added", "updated", "unchanged", "removed", "failed"]


PASSAGE_EXAMPLE: dict[str, Any] = {
    "n": 1,
    "text": "Daniel Okafor: The biggest difference I see between senior and staff is the scope of the problem...",
    "score": 0.83,
    "doc_id": "panels/what-staff-engineers-do-differently.vtt",
    "title": "What staff engineers do differently",
    "kind": "transcript",
    "source": "panels/what-staff-engineers-do-differently.vtt",
    "speaker": "Daniel Okafor",
    "speakers": ["Daniel Okafor"],
    "start": "00:01:53",
    "end": "00:02:35",
    "page": None,
    "section": None,
    "chunk_id": "3f1c9a0b7d2e4c51",
    "url": None,
    "dense_score": 0.61,
    "chunk_ids": ["3f1c9a0b7d2e4c51"],
}


class Quote(BaseModel):
    """A sentence an answer quotes from a passage, with its own time (a long turn's sentences are minutes apart)."""

    text: str
    speaker: str | None = None
    start: str | None = Field(None, description="hh:mm:ss where this sentence was said, transcripts with times only.")
    span: list[int] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="[start, end) of the quoted words in the passage's `text`, in Unicode code points: the text is verbatim, the quote clean-verbatim, so search for it would miss.",
    )


class Passage(BaseModel):
    """The unit of citation: a stored passage and where it came from."""

    model_config = {"json_schema_extra": {"examples": [PASSAGE_EXAMPLE]}}

    n: int = Field(1, description="1-based rank; answers cite it as [n].")
    text: str
    score: float
    doc_id: str
    title: str
    kind: Kind
    source: str
    speaker: str | None = None
    speakers: list[str] = Field(default_factory=list)
    start: str | None = Field(None, description="hh:mm:ss, transcripts only.")
    end: str | None = None
    page: int | None = Field(None, description="1-based page, PDFs only.")
    section: str | None = Field(None, description="Heading path, Markdown only.")
    chunk_id: str
    url: str | None = Field(None, description="The document's url from front matter, if any.")
    dense_score: float | None = Field(None, description="Cosine similarity to the query, when the dense side found it.")
    chunk_ids: list[str] = Field(default_factory=list, description="Stored passages in this result (two when neighbours merged).")
    quotes: list[Quote] = Field(
        default_factory=list, description="In an answer's citations: the sentences it quotes from this passage, in reading order."
    )
    line_starts: list[float] = Field(default_factory=list, exclude=True)  # per text line, transcripts with times
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="A speaker label as `text` writes it -> the person it is, where they differ (a label merged into a person, GET /v1/people).",
    )
    cue_marks: list[float] = Field(default_factory=list, exclude=True)  # (line, word, seconds) triples where caption cues began


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=2000, pattern=r"\S", examples=["what do staff engineers do differently?"])
    top_k: int = Field(TOP_K.default, ge=TOP_K.low, le=TOP_K.high)
    filters: SearchFilters | None = None
    max_words: int = Field(MAX_WORDS.default, ge=MAX_WORDS.low, le=MAX_WORDS.high, description="Cap on the answer's words, [n] markers not counted.")
    mode: AskMode = Field(
        "auto",
        description="extractive: quoted sentences, no model; generative: written by the LLM server KB_LLM_URL names, every sentence "
        "verified against the passage it cites; auto: generative when KB_LLM_URL is set.",
    )


class Verification(BaseModel):
    """What checking a generated answer against its passages found (generative mode only)."""

    sentences: int = Field(..., description="Sentences the model wrote.")
    kept: int = Field(..., description="Sentences supported by the passages they cite.")
    dropped: int = Field(..., description="Sentences left out: unsupported, or citing a passage that was not given.")
    reasons: list[str] = Field(default_factory=list, description="Why each dropped sentence was left out.")


class SearchRequest(BaseModel):
    query: str = Field(..., min_length=1, max_length=2000, pattern=r"\S", examples=["what do staff engineers do differently?"])
    top_k: int = Field(TOP_K.default, ge=TOP_K.low, le=TOP_K.high)
    filters: SearchFilters | None = None
    mode: SearchMode = Field("hybrid", description="hybrid: meaning and keywords fused; dense: meaning alone; sparse: keywords (BM25) alone.")


class AskResponse(BaseModel):
    question: str
    answer: str
    citations: list[Passage]
    answered: bool = Field(True, description="False when nothing stored is relevant; citations are then the nearest passages.")
    mode: AnswerMode = Field("extractive", description="How this answer was written.")
    fallback: str | None = Field(None, description="Why a generative answer was asked for and the extractive one given instead.")
    verification: Verification | None = Field(None, description="Generative mode: the model's sentences, kept and dropped.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "question": "what do staff engineers do differently?",
                    "answer": "Daniel Okafor, What staff engineers do differently, 00:01:53: The biggest difference I see between senior and staff is the scope of the problem you are willing to hold in your head. [1]",
                    "citations": [PASSAGE_EXAMPLE],
                    "answered": True,
                }
            ]
        }
    }


class SearchFilters(BaseModel):
    """Optional filters; they combine with AND."""

    model_config = {"json_schema_extra": {"examples": [{"kind": "transcript", "speaker": "Maya Chen"}]}}

    doc_id: str | None = None
    kind: Kind | None = None
    speaker: str | None = Field(None, description="A person: any name they go by (an alias, a first name merged into theirs) finds all their words.")
    # The stored labels that are `speaker` (kb/people/book.py), set where a search begins; not part of the request.
    _labels: list[str] | None = PrivateAttr(None)

    def speaker_labels(self) -> list[str]:
        """The labels a passage may carry to pass the speaker filter: the person's, once resolved; else the name as given."""
        if not self.speaker:
            return []
        return self._labels or [self.speaker]


class SearchResponse(BaseModel):
    query: str
    results: list[Passage]

    model_config = {"json_schema_extra": {"examples": [{"query": "what do staff engineers do differently?", "results": [PASSAGE_EXAMPLE]}]}}


class DocumentInfo(BaseModel):
    doc_id: str
    title: str
    kind: Kind
    passages: int
    ingested_at: str
    source: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    speakers: list[str] = Field(default_factory=list)
    content_hash: str | None = None
    source_root: str | None = Field(None, exclude=True, description="Folder it was ingested from (for --prune).")
    transcript_url: str | None = Field(
        None, description="A recording's transcript as WebVTT (made on ingest): download it, correct it, ingest the .vtt in its place."
    )


class DocumentList(BaseModel):
    documents: list[DocumentInfo]


class Person(BaseModel):
    """Someone who speaks in the stored documents, under every name they go by (kb/people/)."""

    name: str = Field(..., description="The display name: a merge's target, else the spelling the documents use most.")
    aliases: list[str] = Field(default_factory=list, description="Other names that are this person: labels, front matter aliases, merged names.")
    documents: int = Field(..., description="Documents they speak in.")
    passages: int = Field(..., description="Stored passages they speak in.")
    kinds: list[Kind] = Field(default_factory=list)
    first_date: str | None = Field(None, description="Earliest date of those documents (front matter `date`, else the day it was ingested).")
    last_date: str | None = None


class PersonLine(BaseModel):
    """One turn of theirs, verbatim, with where to read it in context."""

    text: str
    start: str | None = Field(None, description="hh:mm:ss, when the source has times.")
    position: int = Field(..., description="The passage's position in its document (GET /v1/documents/{doc_id}/passages?offset=).")
    chunk_id: str


class PersonDocument(BaseModel):
    """A document they speak in: when, and what they said there."""

    doc_id: str
    title: str
    kind: Kind
    date: str | None = None
    passages: int
    start: str | None = Field(None, description="When they first speak (hh:mm:ss), transcripts with times.")
    end: str | None = Field(None, description="When they last finish speaking.")
    lines: list[PersonLine] = Field(default_factory=list, description="Their turns in reading order (at most `PERSON_LINES` per person in all).")


class PersonPage(Person):
    """`GET /v1/people/{name}`: a person, their documents and lines, and what they talk about most."""

    topics: list[str] = Field(
        default_factory=list, description="Words and phrases they use far more than the store does (tf x idf of their own turns; no model)."
    )
    in_documents: list[PersonDocument] = Field(default_factory=list)
    lines_cut: bool = Field(False, description="True when more lines exist than were listed.")


class PeopleList(BaseModel):
    people: list[Person]


class PeopleMerge(BaseModel):
    """`POST /v1/people/merge`: every name in `names` becomes the person `into` (nothing is embedded again)."""

    names: list[str] = Field(..., min_length=1, max_length=50, examples=[["Adam"]])
    into: str = Field(..., min_length=1, max_length=200, pattern=r"\S", examples=["Adam Chlipala"])


class PeopleRename(BaseModel):
    """`POST /v1/people/rename`: the person `name` is shown as `new_name` (their names so far stay aliases)."""

    name: str = Field(..., min_length=1, max_length=200, pattern=r"\S", examples=["Sara Lindqvist"])
    new_name: str = Field(..., min_length=1, max_length=200, pattern=r"\S", examples=["Dr. Sara Lindqvist"])


class PeopleImport(BaseModel):
    """`POST /v1/people/import`: a people file, each person with the other names they go by (names not yet used included)."""

    people: dict[str, list[str]] = Field(..., min_length=1, max_length=10_000, examples=[{"Maya Chen": ["Dr. Maya Chen", "maya", "@mchen"]}])


class PeopleUnmerge(BaseModel):
    """`POST /v1/people/unmerge`: `name` is no longer merged into anyone (front matter aliases stay with their documents)."""

    name: str = Field(..., min_length=1, max_length=200, pattern=r"\S", examples=["Adam"])


class Turn(BaseModel):
    """One line of a transcript passage: who spoke, when, and what they said (verbatim)."""

    speaker: str | None = None
    start: str | None = Field(None, description="hh:mm:ss, when the source has times.")
    text: str


class DocumentPassage(BaseModel):
    """A stored passage in reading order, for reading a document in context (no score: nothing was asked)."""

    position: int = Field(..., description="0-based place of the passage in its document.")
    chunk_id: str
    text: str
    speaker: str | None = None
    speakers: list[str] = Field(default_factory=list)
    start: str | None = None
    end: str | None = None
    page: int | None = None
    section: str | None = None
    turns: list[Turn] = Field(default_factory=list, description="Transcripts: the passage's lines as turns with their own times; empty otherwise.")


class DocumentPassages(BaseModel):
    """One page of a document's passages, in order: `next_offset` asks for the next page (null at the end)."""

    document: DocumentInfo
    offset: int
    limit: int
    total: int = Field(..., description="Passages in the document.")
    next_offset: int | None = None
    passages: list[DocumentPassage]


class Deleted(BaseModel):
    deleted: str = Field(..., description="The doc_id that was removed.")


class ErrorDetail(BaseModel):
    code: str = Field(..., examples=["not_found"])
    message: str = Field(..., description="What is wrong and what to do.", examples=["no document with doc_id 'x.md': GET /v1/documents lists them"])


class ErrorBody(BaseModel):
    """The shape of every error answer."""

    error: ErrorDetail

    model_config = {
        "json_schema_extra": {
            "examples": [{"error": {"code": "not_found", "message": "no document with doc_id 'x.md': GET /v1/documents lists them"}}]
        }
    }


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    documents: int
    passages: int


class FileReport(BaseModel):
    doc_id: str
    status: FileStatus
    kind: Kind | None = None
    passages: int = 0
    error: str | None = None
    # A failure of the store, not of the file (busy, refused the write, a server error): a watcher tries it again.
    retry: bool = Field(False, exclude=True)

    @field_validator("error")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        """Errors are printed one per line in the CLI's table and logs, whatever a parser said."""
        return " ".join(value.split())[:600] if value else value


class IngestReport(BaseModel):
    """What one ingest did; `kb ingest --json` and `POST /v1/documents` both answer with it."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    passages: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    files: list[FileReport] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Anything done besides the files, e.g. cleaning up after an interrupted write.")
    skipped: list[str] = Field(
        default_factory=list, description="Files in the folders given of a type no reader takes: listed, not read, not a failure."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "added": 1,
                    "updated": 0,
                    "unchanged": 0,
                    "removed": 0,
                    "failed": 0,
                    "passages": 38,
                    "seconds": 1.9,
                    "dry_run": False,
                    "files": [{"doc_id": "2026/staff-panel.vtt", "status": "added", "kind": "transcript", "passages": 38, "error": None}],
                }
            ]
        }
    }

    def record(self, report: FileReport) -> None:
        """Add one file's outcome to the totals."""
        self.files.append(report)
        setattr(self, report.status, getattr(self, report.status) + 1)
        if report.status != "removed":
            self.passages += report.passages


class Finding(BaseModel):
    """One inconsistency `kb doctor` found."""

    problem: str = Field(..., description="orphan_passages | incomplete_document | bm25_missing | bm25_extra | interrupted_write")
    doc_id: str | None = None
    count: int = 0
    detail: str


class DoctorReport(BaseModel):
    """`kb doctor`'s report, and POST /v1/doctor's answer."""

    documents: int
    passages: int
    bm25_rows: int
    findings: list[Finding] = Field(default_factory=list)
    repaired: list[str] = Field(default_factory=list, description="What --repair did, one line each.")

    @property
    def healthy(self) -> bool:
        return not self.findings
