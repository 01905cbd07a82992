"""GET /v1/contract: the contract's values (kinds, formats, bounds, version), for clients that build forms.

The search page fills its kind filter from here, so kb/contract.py is their one source.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kb.contract import FORMATS, KIND_LABELS, KINDS, MAX_WORDS, PASSAGE_PAGE, TOP_K, Bounds, version

router = APIRouter(prefix="/v1", tags=["health"])


class Range(BaseModel):
    min: int
    max: int
    default: int

    @classmethod
    def of(cls, bounds: Bounds) -> Range:
        return cls(min=bounds.low, max=bounds.high, default=bounds.default)


class KindInfo(BaseModel):
    value: str
    label: str


class Contract(BaseModel):
    version: str
    kinds: list[KindInfo]
    formats: list[str]
    top_k: Range
    max_words: Range
    passage_page: Range


@router.get("/contract", response_model=Contract)
def contract() -> Contract:
    """Kinds (with labels), file formats, the bounds of top_k, max_words and a passages page, and the version."""
    return Contract(
        version=version(),
        kinds=[KindInfo(value=kind, label=KIND_LABELS[kind]) for kind in KINDS],
        formats=sorted(FORMATS),
        top_k=Range.of(TOP_K),
        max_words=Range.of(MAX_WORDS),
        passage_page=Range.of(PASSAGE_PAGE),
    )
