"""The bundled corpus is what the README promises, and its questions point at real passages."""

from __future__ import annotations

import json
import re
from collections import Counter

from tests.conftest import CORPUS


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


def test_corpus_size_kinds_and_formats(corpus_kb) -> None:
    documents = corpus_kb.documents()
    kinds = Counter(d.kind for d in documents)
    assert len(documents) >= 12
    assert kinds["transcript"] >= 4 and kinds["essay"] >= 4 and kinds["book_notes"] >= 3
    suffixes = {d.doc_id.rsplit(".", 1)[-1] for d in documents}
    assert {"md", "txt", "pdf", "vtt", "srt"} <= suffixes
    assert sum(1 for d in documents if d.kind == "transcript" and len(d.speakers) >= 3) >= 4
    texts = [t for d in documents for t in corpus_kb.store.passage_texts(d.doc_id)]
    assert sum(len(t.split()) for t in texts) >= 25_000


def test_pdfs_are_multi_page_and_cited_by_page(corpus_kb) -> None:
    passages = corpus_kb.store.passages.get(where={"doc_id": "essays/four-ways-to-be-a-staff-engineer.pdf"}, include=["metadatas"])
    assert {m["page"] for m in passages["metadatas"]} >= {1, 2}


def test_every_question_quotes_its_document() -> None:
    lines = [json.loads(line) for line in (CORPUS / "questions.jsonl").read_text().splitlines() if line.strip()]
    assert len(lines) >= 30
    assert all({"question", "doc_id", "quote"} <= set(q) for q in lines)


def test_every_quote_is_found_in_a_stored_passage_of_its_document(corpus_kb) -> None:
    for line in (CORPUS / "questions.jsonl").read_text().splitlines():
        question = json.loads(line)
        texts = corpus_kb.store.passage_texts(question["doc_id"])
        assert texts, f"no passages for {question['doc_id']}"
        assert any(normalise(question["quote"]) in normalise(t) for t in texts), question
