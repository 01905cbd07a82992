"""Chunking: a file's units (turns, pages, Markdown, text) into passages that fit the model.

Each passage is embedded with a short header (title, and section for Markdown)
so that a passage that never names its subject still carries it. Sizes are in
the embedding tokenizer's tokens; the final check guarantees header + text fit
the window, so nothing is truncated silently.
"""

from __future__ import annotations

from llama_index.core.schema import Document

from ingest.chunking.packing import Piece, TokenCounter, split_oversize
from ingest.chunking.prose_chunker import chunk_prose
from ingest.chunking.section_chunker import chunk_markdown
from ingest.chunking.turn_chunker import chunk_turns
from kb.passage_draft import PassageDraft

TARGET_TOKENS = 192
MAX_HEADER_TOKENS = 32


def chunk_units(units: list[Document], count: TokenCounter, max_tokens: int = 256, target: int = TARGET_TOKENS) -> list[PassageDraft]:
    """Passages for one file's units, in reading order."""
    if not units:
        return []
    header = str(units[0].metadata.get("title") or "")
    limit = max_tokens - MAX_HEADER_TOKENS - 2
    target = min(target, limit)
    unit = units[0].metadata.get("unit")
    if unit == "turn":
        drafts = chunk_turns(units, count, target, limit)
    elif unit == "markdown":
        drafts = chunk_markdown(units[0], count, target, limit)
    else:
        drafts = chunk_prose(units, count, target, limit)
    return [fitted for draft in drafts for fitted in _fit_window(draft, header, count, max_tokens)]


def _embed_text(draft: PassageDraft, header: str, count: TokenCounter) -> str:
    """Title (and section) first, cut to MAX_HEADER_TOKENS so the text keeps its room."""
    words = " > ".join(part for part in (header, draft.section) if part).split()
    while words and count(" ".join(words)) > MAX_HEADER_TOKENS:
        words.pop()
    return f"{' '.join(words)}\n{draft.text}" if words else draft.text


def _fit_window(draft: PassageDraft, header: str, count: TokenCounter, max_tokens: int) -> list[PassageDraft]:
    """Set embed_text and tokens; split again in the rare case the joins pushed it over."""
    draft.embed_text = _embed_text(draft, header, count)
    draft.tokens = count(draft.embed_text)
    if draft.tokens <= max_tokens:
        return [draft]
    overflow = draft.tokens - max_tokens
    parts = split_oversize(Piece(draft.text, count(draft.text)), count(draft.text) - overflow - 8, count)
    fitted = []
    for part in parts:
        clone = PassageDraft(**{**draft.__dict__, "text": part.text})
        fitted.extend(_fit_window(clone, header, count, max_tokens))
    return fitted
