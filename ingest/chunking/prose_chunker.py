"""PDF pages and plain text: sentences packed into passages; PDFs never cross a page (and keep its outline section).

Paragraphs stay lines of their own in a passage (sentences of one paragraph join with a space):
a heading the reader set apart ("2.1 Easy to learn and memorize") is never glued to the
paragraph under it, and an answer quotes sentences, not a heading and a sentence as one.
"""

from __future__ import annotations

import re

from llama_index.core.schema import Document

from ingest.chunking.packing import Piece, TokenCounter, join_pieces, pack, paragraph_pieces
from kb.store.drafts import PassageDraft


def chunk_prose(units: list[Document], count: TokenCounter, target: int, limit: int) -> list[PassageDraft]:
    pieces: list[Piece] = []
    for unit in units:
        page, section = unit.metadata.get("page"), unit.metadata.get("section")
        for paragraph in re.split(r"\n\s*\n", unit.text):
            text = " ".join(paragraph.split())
            if not text:
                continue
            pieces.extend(paragraph_pieces(text, count, target, limit, page=page, section=section))

    def new_page(prev: Piece, piece: Piece) -> bool:
        return prev.page != piece.page

    groups = pack(pieces, target, limit, boundary=new_page)
    return [PassageDraft(text=join_pieces(group, "\n"), embed_text="", page=group[0].page, section=group[0].section) for group in groups]
