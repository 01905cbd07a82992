"""What the write path takes: documents and their passages before they have vectors and ids (ingest makes them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.models import FileReport, FileStatus


@dataclass
class PassageDraft:
    """One passage of a document, in reading order, with its citation fields.

    `embed_text` is what the model sees (the text with a short title/section
    header for context); `text` is what is stored and shown. `clean_text`, when
    set, is the text as the model should read it: a transcript without its sound
    tags and hesitations, which carry no meaning and took a quarter of QMSum's tokens.
    """

    text: str
    embed_text: str
    clean_text: str = ""
    speaker: str | None = None
    speakers: list[str] = field(default_factory=list)
    start_seconds: float | None = None
    end_seconds: float | None = None
    page: int | None = None
    section: str | None = None
    tokens: int = 0
    line_starts: list[float] = field(default_factory=list)  # transcripts: start of each text line (turn)
    # transcripts: (line, word index after "Speaker: ", seconds) triples, flattened, where a caption cue began
    cue_marks: list[float] = field(default_factory=list)


@dataclass
class DocumentWrite:
    """One document to store: its id, the hash of its source, its metadata and passages."""

    doc_id: str
    content_hash: str
    metadata: dict[str, Any]
    drafts: list[PassageDraft] = field(default_factory=list)


@dataclass
class IncomingFile:
    """A file on its way into the store, read and hashed by ingest: `status` is added or updated."""

    doc_id: str
    data: bytes
    content_hash: str
    status: FileStatus
    kind: str | None = None
    speaker_names: dict[str, str] = field(default_factory=dict)
    source_root: str | None = None


Parser = Callable[[IncomingFile], "DocumentWrite | FileReport"]  # a document to write, or the file's failure
