"""Options several commands share, declared once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class KindOption(StrEnum):
    essay = "essay"
    transcript = "transcript"
    book_notes = "book_notes"


TopK = Annotated[int, typer.Option("--top-k", min=1, max=50, help="How many passages.")]
DocFilter = Annotated[str | None, typer.Option("--doc", help="Only this doc_id.")]
KindFilter = Annotated[KindOption | None, typer.Option(help="Only this kind.")]
SpeakerFilter = Annotated[str | None, typer.Option(help="Only passages where this person speaks.")]
Wait = Annotated[
    float,
    typer.Option("--wait", min=0, help="Seconds to wait for another writer (ingest, upload, delete) to finish; 0 refuses at once (exit code 3)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the HTTP response body.")]


def filters(doc: str | None, kind: KindOption | None, speaker: str | None):
    """The CLI's filter options as the API's SearchFilters."""
    from kb.models import SearchFilters

    return SearchFilters(doc_id=doc, kind=kind.value if kind else None, speaker=speaker)
