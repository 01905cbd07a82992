"""What the write path takes: a passage before it has a vector and an id."""

from __future__ import annotations

from dataclasses import dataclass, field


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
