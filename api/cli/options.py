"""Options several commands share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from kb.contract import MAX_WORDS, TOP_K, Kind

TopK = Annotated[int, typer.Option("--top-k", min=TOP_K.low, max=TOP_K.high, help="How many passages.")]
MaxWords = Annotated[int, typer.Option("--max-words", min=MAX_WORDS.low, max=MAX_WORDS.high, help="Cap on the answer's words.")]
DocFilter = Annotated[str | None, typer.Option("--doc", help="Only this doc_id.")]
KindFilter = Annotated[Kind | None, typer.Option(help="Only this kind.")]
KindOption = Annotated[Kind | None, typer.Option(help="Force the kind instead of guessing it.")]
SpeakerFilter = Annotated[str | None, typer.Option(help="Only passages where this person speaks.")]
Wait = Annotated[
    float,
    typer.Option("--wait", min=0, help="Seconds to wait for another writer (ingest, upload, delete) to finish; 0 refuses at once (exit code 3)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the HTTP response body.")]


def filters(doc: str | None, kind: Kind | None, speaker: str | None):
    """The CLI's filter options as the API's SearchFilters."""
    from kb.models import SearchFilters

    return SearchFilters(doc_id=doc, kind=kind, speaker=speaker)
