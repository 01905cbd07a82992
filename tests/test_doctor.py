"""`kb doctor`: finds each kind of damage a dead writer or a hand edit can leave, and repairs it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from ingest import ingest_paths
from kb import KnowledgeBase, Settings
from kb.store.chroma import StoredPassage

runner = CliRunner()


def _problems(kb: KnowledgeBase) -> dict[str, int]:
    report = kb.doctor()
    return {f.problem: f.count for f in report.findings}


def test_a_clean_store_is_healthy(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    assert _problems(kb) == {}
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0 and "Consistent" in result.output


def test_doctor_finds_and_repairs_every_kind_of_damage(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    talk = set(kb.store.passage_ids("talk.vtt"))
    essay = sorted(kb.store.passage_ids("essays/feedback.md"))
    # 1. orphans: a half-written new version of a document (its record still points at the old one)
    orphan = StoredPassage(
        "orphan-1",
        "A passage of a version that never committed.",
        {"doc_id": "talk.vtt", "doc_hash": "never-committed", "position": 0, "kind": "transcript"},
        kb.embedder.embed(["x"])[0],
    )
    kb.store.upsert_passages([orphan])
    # 2. an incomplete document: one of its passages deleted behind our back
    kb.store.delete_passages([essay[0]])
    # 3. the keyword index lost rows without noticing (same generation)
    kb.sparse.apply([], set(list(talk)[:1]), kb.sparse.generation)
    # 4. a writer that died mid-write
    kb.store.state.upsert(ids=["writing"], embeddings=[[1.0]], metadatas=[{"pid": 1, "since": 0.0}])

    problems = _problems(kb)
    assert problems["orphan_passages"] == 1 and problems["incomplete_document"] == 1
    assert problems["bm25_missing"] >= 1 and problems["bm25_extra"] == 1 and "interrupted_write" in problems
    checked = runner.invoke(app, ["doctor", "--json"])
    assert checked.exit_code == 1 and json.loads(checked.stdout)["findings"]

    repaired = runner.invoke(app, ["doctor", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "removed incomplete document essays/feedback.md: ingest its file again" in repaired.output.replace("\n", " ")
    fresh = KnowledgeBase(Settings())
    assert _problems(fresh) == {}
    assert {d.doc_id for d in fresh.documents()} == {"2026/staff-panel.txt", "talk.vtt"}
    assert fresh.sparse.known_ids() == set(fresh.store.passage_versions())
    again = ingest_paths([small_corpus], fresh)
    assert again.added == 1 and sorted(fresh.store.passage_ids("essays/feedback.md")) == essay
    assert _problems(fresh) == {}


def test_an_ingest_after_an_interrupted_write_cleans_up_first(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    orphan = StoredPassage(
        "orphan-2",
        "Left by a killed ingest.",
        {"doc_id": "talk.vtt", "doc_hash": "dead", "position": 9, "kind": "transcript"},
        kb.embedder.embed(["x"])[0],
    )
    kb.store.upsert_passages([orphan])
    kb.store.mark_writing()
    report = ingest_paths([small_corpus], kb)
    assert report.unchanged == 3 and any("deleted 1 orphan passages" in note for note in report.notes)
    assert _problems(kb) == {}


def test_deleting_a_document_removes_it_from_every_index(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    ids = set(kb.store.passage_ids("talk.vtt"))
    kb.delete("talk.vtt")
    assert not kb.store.passage_ids("talk.vtt") and "talk.vtt" not in kb.store.get_documents()
    assert not ids & kb.sparse.known_ids()
    assert _problems(kb) == {}
