"""Markdown: passages follow headings; `section` is the heading path ("Part 2 > Sponsors")."""

from __future__ import annotations

import re
from collections import Counter

from llama_index.core.node_parser import MarkdownNodeParser
from llama_index.core.schema import Document

from ingest.chunking.packing import (
    Piece,
    TokenCounter,
    group_tokens,
    join_pieces,
    pack,
    paragraph_pieces,
)
from kb.store.drafts import PassageDraft

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# A section's paragraphs under this many tokens (a heading and a line or two) join the group next to them:
# alone they make passages too thin to match or cite.
SMALL_GROUP = 48


def chunk_markdown(document: Document, count: TokenCounter, target: int, limit: int) -> list[PassageDraft]:
    pieces: list[Piece] = []
    for node in MarkdownNodeParser().get_nodes_from_documents([Document(text=document.text)]):
        section, body = _section_and_body(node.get_content(), node.metadata.get("header_path", "/"))
        for paragraph in re.split(r"\n\s*\n", body):
            text = _flatten(paragraph)
            if text:
                pieces.extend(paragraph_pieces(text, count, target, limit, section=section))

    def new_section(prev: Piece, piece: Piece) -> bool:
        return prev.section != piece.section

    groups = pack(pieces, target, limit, boundary=new_section)
    groups = _merge_small(groups, limit)
    return [_passage(group) for group in groups]


def _section_and_body(text: str, header_path: str) -> tuple[str | None, str]:
    parents = [part for part in header_path.strip("/").split("/") if part]
    lines = text.strip().splitlines()
    own = _HEADING.match(lines[0]) if lines else None
    if own:
        parents.append(own.group(2).strip())
        lines = lines[1:]
    return (" > ".join(parents) or None), "\n".join(lines)


def _flatten(paragraph: str) -> str:
    """Keep list items on their own lines; join wrapped prose lines."""
    lines = [line.rstrip() for line in paragraph.strip().splitlines()]
    if any(re.match(r"\s*([-*+]|\d+[.)])\s", line) for line in lines):
        return "\n".join(line.strip() for line in lines if line.strip())
    return " ".join(line.strip() for line in lines if line.strip())


def _merge_small(groups: list[list[Piece]], limit: int) -> list[list[Piece]]:
    """A section too small to stand alone (a line under a heading) joins the next group when it fits."""
    merged: list[list[Piece]] = []
    for group in groups:
        if merged and group_tokens(merged[-1]) < SMALL_GROUP and group_tokens(merged[-1] + group) <= limit:
            merged[-1] = merged[-1] + group
        else:
            merged.append(group)
    if len(merged) > 1 and group_tokens(merged[-1]) < SMALL_GROUP and group_tokens(merged[-2] + merged[-1]) <= limit:
        merged[-2:] = [merged[-2] + merged[-1]]
    return merged


def _passage(group: list[Piece]) -> PassageDraft:
    weight: Counter[str] = Counter()
    for piece in group:
        if piece.section:
            weight[piece.section] += piece.tokens
    return PassageDraft(text=join_pieces(group), embed_text="", section=weight.most_common(1)[0][0] if weight else None)
