"""Labelled-question evaluation: does search put the passage that answers a question near the top?

A question file is JSON lines: {"question", "doc_id", "quote"}. A result counts as
correct when it is from that document and contains the quote (case and spacing
ignored). Reported: hit@1/3/5 and MRR@5, overall and per kind of document.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel

from kb.errors import InvalidInput
from kb.protocol import KnowledgeBaseLike


class EvalRow(BaseModel):
    group: str
    questions: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    mrr: float


class EvalReport(BaseModel):
    file: str
    rows: list[EvalRow]
    misses: list[str]


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


def load_questions(path: Path) -> list[dict]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{number}: not valid JSON ({exc.msg}): one object per line") from None
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("question", "doc_id", "quote")):
            raise InvalidInput(f"{path}:{number}: needs string fields question, doc_id and quote")
        questions.append(item)
    if not questions:
        raise InvalidInput(f"{path}: no questions found")
    return questions


def evaluate(kb: KnowledgeBaseLike, path: Path, top_k: int = 5) -> EvalReport:
    questions = load_questions(path)
    kinds = {d.doc_id: d.kind for d in kb.documents()}
    ranks: dict[str, list[int | None]] = defaultdict(list)
    misses = []
    for item in questions:
        results = kb.search(item["question"], top_k=top_k).results
        quote = _normal(item["quote"])
        rank = next((p.n for p in results if p.doc_id == item["doc_id"] and quote in _normal(p.text)), None)
        for group in ("all", kinds.get(item["doc_id"], "missing")):
            ranks[group].append(rank)
        if rank is None:
            misses.append(item["question"])
    rows = [_row(group, values) for group, values in sorted(ranks.items(), key=lambda kv: (kv[0] != "all", kv[0]))]
    return EvalReport(file=str(path), rows=rows, misses=misses)


def _row(group: str, ranks: list[int | None]) -> EvalRow:
    n = len(ranks)
    hit = lambda k: sum(1 for r in ranks if r is not None and r <= k) / n  # noqa: E731
    return EvalRow(group=group, questions=n, hit_at_1=hit(1), hit_at_3=hit(3), hit_at_5=hit(5), mrr=sum(1 / r for r in ranks if r) / n)
