"""Chunking: a file's units (turns, pages, Markdown, text) into passages that fit the model.

Each passage is embedded with a short header (title, and section for Markdown)
so that a passage that never names its subject still carries it. Sizes are in
the embedding tokenizer's tokens; the final check guarantees header + text fit
the window, so nothing is truncated silently.
"""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.schema import Document

from ingest.chunking.packing import Piece, TokenCounter, split_oversize
from ingest.chunking.prose_chunker import chunk_prose
from ingest.chunking.section_chunker import chunk_markdown
from ingest.chunking.turn_chunker import chunk_turns
from kb.store.drafts import PassageDraft
from kb.text.sentences import strip_sound_tags

TARGET_TOKENS = 192
MAX_HEADER_TOKENS = 32


# Tokens kept free when a passage is split again to fit: the pieces' joins and header cost a few each.
JOIN_SLACK_TOKENS = 8


def chunk_units(
    units: list[Document],
    count: TokenCounter,
    max_tokens: int = 256,
    target: int = TARGET_TOKENS,
    count_many: Callable[[list[str]], list[int]] | None = None,
) -> list[PassageDraft]:
    """Passages for one file's units, in reading order.

    `count_many` (a batch form of `count`, e.g. the tokenizer's parallel
    encode_batch) is used where many texts are measured at once.
    """
    if not units:
        return []
    count_many = count_many or (lambda texts: [count(t) for t in texts])
    header = str(units[0].metadata.get("title") or "")
    limit = max_tokens - MAX_HEADER_TOKENS - 2
    target = min(target, limit)
    unit = units[0].metadata.get("unit")
    if unit == "turn":
        drafts = chunk_turns(units, count, target, limit, count_many)
    elif unit == "markdown":
        drafts = chunk_markdown(units[0], count, target, limit)
    else:
        drafts = chunk_prose(units, count, target, limit)
    headers = _Headers(header, count)
    for draft in drafts:
        if not draft.clean_text:  # transcripts come cleaned; "(applause)" in any other text is no meaning to embed
            cleaned = strip_sound_tags(draft.text)
            draft.clean_text = cleaned if cleaned != draft.text and cleaned.strip() else ""
        draft.embed_text = headers.prefix(draft.section) + (draft.clean_text or draft.text)
    for draft, tokens in zip(drafts, count_many([d.embed_text for d in drafts])):
        draft.tokens = tokens
    return [fitted for draft in drafts for fitted in _fit_window(draft, headers, count, max_tokens)]


class _Headers:
    """Title (and section) before the text, cut to MAX_HEADER_TOKENS; measured once per section."""

    def __init__(self, title: str, count: TokenCounter) -> None:
        self.title, self.count = title, count
        self.cache: dict[str | None, str] = {}

    def prefix(self, section: str | None) -> str:
        if section not in self.cache:
            words = " > ".join(part for part in (self.title, section) if part).split()
            while words and self.count(" ".join(words)) > MAX_HEADER_TOKENS:
                words.pop()
            self.cache[section] = f"{' '.join(words)}\n" if words else ""
        return self.cache[section]


def _fit_window(draft: PassageDraft, headers: _Headers, count: TokenCounter, max_tokens: int) -> list[PassageDraft]:
    """Split again in the rare case the joins pushed header + text over the window."""
    if draft.tokens <= max_tokens:
        return [draft]
    overflow = draft.tokens - max_tokens
    parts = split_oversize(Piece(draft.text, count(draft.text)), count(draft.text) - overflow - JOIN_SLACK_TOKENS, count)
    fitted = []
    for part in parts:
        clone = PassageDraft(**{**draft.__dict__, "text": part.text, "clean_text": ""})
        clone.embed_text = headers.prefix(clone.section) + clone.text
        clone.tokens = count(clone.embed_text)
        fitted.extend(_fit_window(clone, headers, count, max_tokens))
    return fitted
