"""Hybrid retrieval: the BM25 side, fusion, filters on both sides, staying in sync, result shaping."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from ingest import ingest_paths
from kb import KnowledgeBase, Settings
from kb.bm25 import index_file as bm25_file
from kb.models import SearchFilters
from kb.search.fusion import Candidate, FusionConfig, fuse
from kb.search.results import shape_results
from kb.store.chroma import QueryHit
from tests.conftest import write

RARE = "---\ntitle: Keys\n---\n# Keys\n\nEvery payment service needs an idempotency key so retries never charge twice.\n"


def test_bm25_finds_a_rare_keyword_and_hybrid_keeps_it_on_top(backend, kb, small_corpus: Path) -> None:
    write(small_corpus / "keys.md", RARE)
    ingest_paths([small_corpus], kb)
    sparse = kb.search("idempotency", mode="sparse").results
    assert sparse and sparse[0].doc_id == "keys.md"
    assert kb.search("idempotency").results[0].doc_id == "keys.md"


def test_an_exact_match_the_dense_side_missed_is_scored_on_both_sides(backend, kb, tmp_path: Path) -> None:
    """Near-identical notes: the dense top-N misses the one with the query's rare number; fusion must not count it as 0."""
    folder = tmp_path / "notes"
    for index in range(10, 50):  # two-digit numbers: BM25 keeps words of 2+ characters
        write(folder / f"note-{index:02d}.txt", f"Note {index}: mentoring tip number {index} is to ask one more question.\n")
    ingest_paths([folder], kb)
    kb.fusion = FusionConfig(candidates=5)
    missed = [
        i
        for i in range(10, 50)
        if f"note-{i:02d}.txt" not in {p.doc_id for p in kb.search(f"mentoring tip number {i}", top_k=5, mode="dense").results}
    ]
    assert missed  # the situation this guards against: the dense top 5 lacks the exact match
    for i in missed:
        best = kb.search(f"mentoring tip number {i}", top_k=3).results[0]
        assert best.doc_id == f"note-{i:02d}.txt" and best.dense_score is not None and best.dense_score > 0.5


def test_filters_apply_to_the_sparse_side_before_ranking(backend, kb, small_corpus: Path) -> None:
    write(small_corpus / "keys.md", RARE)
    ingest_paths([small_corpus], kb)
    for filters in (SearchFilters(kind="transcript"), SearchFilters(doc_id="talk.vtt"), SearchFilters(speaker="Maya Chen")):
        results = kb.search("idempotency key teams sponsorship", filters=filters, mode="sparse").results
        assert all(p.doc_id != "keys.md" for p in results)
        if filters.speaker:
            assert results and all("Maya Chen" in p.speakers for p in results)


def test_bm25_is_rebuilt_from_the_store_when_its_file_is_missing(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    kb.sparse.path.unlink()
    fresh = KnowledgeBase(Settings())
    assert fresh.sparse.generation == ""
    results = fresh.search("flaky build", mode="sparse").results
    assert results and results[0].doc_id == "2026/staff-panel.txt"
    assert fresh.sparse.path.is_file()


def test_an_old_or_broken_bm25_file_is_rebuilt_from_the_store_not_trusted(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    path = kb.sparse.path
    old_pickle = path.with_suffix(".pkl")
    old_pickle.write_bytes(b"\x80\x05 the pickled layout of an earlier build")
    path.write_bytes(b"PK\x03\x04 cut short")
    fresh = KnowledgeBase(Settings())
    results = fresh.search("flaky build", mode="sparse").results
    assert results and results[0].doc_id == "2026/staff-panel.txt"
    assert not old_pickle.exists()
    loaded = bm25_file.load(path)
    assert loaded is not None and loaded[0] == fresh.store.generation()


def test_a_dense_only_search_never_opens_the_bm25_side(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    hybrid = {p.chunk_id: (p.doc_id, p.kind, p.text) for p in kb.search("flaky build", top_k=10).results}
    fresh = KnowledgeBase(Settings())
    dense = fresh.search("flaky build", top_k=10, mode="dense").results
    assert dense and "sparse" not in fresh.__dict__
    shared = [p for p in dense if p.chunk_id in hybrid]
    assert shared and all((p.doc_id, p.kind, p.text) == hybrid[p.chunk_id] for p in shared)  # located from Chroma alike


def test_another_writer_is_seen_without_a_restart(backend, small_corpus: Path, tmp_path: Path) -> None:
    reader = KnowledgeBase(Settings())
    writer = KnowledgeBase(Settings(data_dir=tmp_path / "other-machine"))  # same store in server mode, own BM25 file
    ingest_paths([small_corpus], reader)
    assert reader.search("idempotency", mode="sparse").results == []
    if backend == "embedded":
        writer = KnowledgeBase(Settings())  # another KnowledgeBase in this process (other processes go through kb serve)
    write(small_corpus / "keys.md", RARE)
    ingest_paths([small_corpus / "keys.md"], writer)
    time.sleep(reader.reads.max_age + 0.1)  # readers look for other writers at most once a second
    assert reader.search("idempotency", mode="sparse").results[0].doc_id == "keys.md"
    writer.delete("keys.md")
    time.sleep(reader.reads.max_age + 0.1)
    assert reader.search("idempotency", mode="sparse").results == []


def test_a_passage_written_elsewhere_within_the_last_second_is_found_with_its_text(backend, small_corpus: Path, tmp_path: Path) -> None:
    """Ranking places candidates from the BM25 side's rows; one the dense side found before they caught up still shows."""
    reader = KnowledgeBase(Settings())
    ingest_paths([small_corpus], reader)
    reader.search("sponsorship")  # the reader now trusts its view of the store for a second
    writer = KnowledgeBase(Settings(data_dir=tmp_path / "other-machine")) if backend == "server" else KnowledgeBase(Settings())
    write(small_corpus / "keys.md", RARE)
    ingest_paths([small_corpus / "keys.md"], writer)
    results = reader.search("every payment service needs an idempotency key so retries never charge twice").results
    assert results[0].doc_id == "keys.md" and "idempotency key" in results[0].text and results[0].title == "Keys"
    assert "keys.md" not in {p.doc_id for p in reader.search("idempotency", mode="sparse").results}  # its BM25 side had not caught up


def test_relative_fusion_weighs_normalised_scores() -> None:
    hits = [("a", 0.8), ("b", 0.4)]
    fused = fuse(hits, [("b", 10.0), ("c", 5.0)], FusionConfig(dense_share=0.7))
    assert abs(fused["a"].fused - 0.7) < 1e-9  # best dense, missed by BM25
    assert abs(fused["b"].fused - (0.7 * 0.5 + 0.3)) < 1e-9
    assert abs(fused["c"].fused - 0.15) < 1e-9
    only_dense = fuse(hits, [], FusionConfig())
    assert abs(only_dense["a"].fused - 1.0) < 1e-9


def test_rrf_scores_first_on_both_sides_as_one() -> None:
    hits = [("a", 0.9), ("b", 0.8)]
    fused = fuse(hits, [("a", 5.0), ("c", 2.0)], FusionConfig(method="rrf"))
    assert abs(fused["a"].fused - 1.0) < 1e-9
    assert fused["a"].fused > fused["b"].fused > 0 and fused["c"].fused > 0
    assert fused["c"].dense_score is None and fused["b"].sparse_score is None


def _candidate(doc: str, position: int, kind: str = "transcript") -> Candidate:
    chunk_id = f"{doc}-{position}"
    return Candidate(
        chunk_id,
        0.5,
        doc_id=doc,
        kind=kind,
        position=position,
        hit=QueryHit(chunk_id, "text", {"doc_id": doc, "position": position, "kind": kind}, 0.5),
    )


def test_adjacent_transcript_passages_merge_and_one_document_cannot_crowd_out_others() -> None:
    ranked = [
        _candidate("a", 3),
        _candidate("a", 4),
        _candidate("a", 9),
        _candidate("a", 20),
        _candidate("a", 30),
        _candidate("b", 1),
        _candidate("c", 1),
    ]
    shaped = shape_results(ranked, top_k=5, doc_filter=False, merge_neighbours=True)
    assert [c.chunk_id for c in shaped] == ["a-3", "a-9", "a-20", "b-1", "c-1"]
    assert [h.chunk_id for h in shaped[0].merged] == ["a-4"]
    within_doc = shape_results(ranked, top_k=5, doc_filter=True, merge_neighbours=True)
    assert [c.chunk_id for c in within_doc] == ["a-3", "a-9", "a-20", "a-30", "b-1"]


def test_essays_are_not_merged() -> None:
    ranked = [_candidate("e", 1, "essay"), _candidate("e", 2, "essay")]
    assert len(shape_results(ranked, top_k=5, doc_filter=True, merge_neighbours=True)) == 2


def test_merged_results_read_as_one_exchange(kb, tmp_path: Path) -> None:
    turns = [
        f"[00:{i:02d}:00] {'Maya Chen' if i % 2 else 'Sam Ortiz'}: " + f"Point {i} about staff engineers writing design documents for alignment. " * 6
        for i in range(12)
    ]
    write(tmp_path / "t" / "panel.txt", "\n".join(turns))
    ingest_paths([tmp_path / "t"], kb)
    results = kb.search("staff engineers writing design documents", top_k=10, filters=SearchFilters(doc_id="panel.txt")).results
    merged = [p for p in results if len(p.chunk_ids) == 2]
    assert merged, "adjacent passages that both rank should merge"
    for p in merged:
        assert p.start < p.end and p.text.count("\n") >= 1


def _passage_stump(feature: str, threshold: float, low: float, high: float):
    """Trees of one split on a passage feature: `feature <= threshold` scores `low`, else `high`."""
    from kb.boosted_trees import Trees
    from kb.search.learned_order import FEATURES

    node = {
        "split_feature": FEATURES.index(feature),
        "threshold": threshold,
        "decision_type": "<=",
        "left_child": {"leaf_value": low},
        "right_child": {"leaf_value": high},
    }
    return Trees.from_lightgbm({"tree_info": [{"tree_structure": node}]})


def test_passage_features_read_neighbours_in_the_same_document_and_rerank_only_the_top() -> None:
    from kb.search.learned_order import DEPTH, FEATURES, feature_matrix, rerank

    ranked = [
        replace(_candidate("a", 5), fused=1.0),
        replace(_candidate("b", 2), fused=0.8),
        replace(_candidate("a", 6), fused=0.5),
        replace(_candidate("b", 9), fused=0.4),
    ]
    x = feature_matrix(ranked, query_terms=3)
    column = {name: x[:, i] for i, name in enumerate(FEATURES)}
    assert list(column["prev"]) == [0.0, 0.0, 1.0, 0.0]  # a/6 follows a/5; b/2 is no neighbour of a/5
    assert list(column["next"]) == [0.5, 0.0, 0.0, 0.0]
    assert list(column["rank"]) == [0, 1, 2, 3] and set(column["query_terms"]) == {3.0}
    # trees that favour what follows a strong passage put a/6 first, in the slots document a held
    essay = replace(_candidate("e", 0, kind="essay"), fused=0.9)
    order = rerank([ranked[0], essay, *ranked[1:]], 3, _passage_stump("prev", 0.5, 0.0, 1.0))
    assert [(c.doc_id, c.position) for c in order] == [("a", 6), ("e", 0), ("b", 2), ("a", 5), ("b", 9)]
    long = [replace(_candidate("c", i), fused=1.0 - i / 100) for i in range(DEPTH + 5)]
    reordered = rerank(long, 3, _passage_stump("rank", DEPTH - 2.5, 0.0, 1.0))
    assert [c.position for c in reordered[:2]] == [DEPTH - 2, DEPTH - 1] and reordered[DEPTH:] == long[DEPTH:]  # the tail is untouched


def test_the_shipped_passage_order_is_used_within_one_document_in_hybrid_search(kb, tmp_path: Path, monkeypatch) -> None:
    import kb.search.searcher as searching
    from kb.search.learned_order import load_order_trees

    assert load_order_trees() is not None  # the trained trees ship in the package, made for today's features
    topics = ["idempotency keys for payment retries", "on-call rotations", "design reviews", "career ladders", "hiring loops", "incident reviews"]
    turns = [
        f"Speaker {'AB'[i % 2]}: We talked about {topic} for a while. " + " ".join(f"Point {j} about {topic} matters to the team." for j in range(40))
        for i, topic in enumerate(topics)
    ]
    write(tmp_path / "talks" / "meeting.txt", "\n".join(turns) + "\n")
    write(tmp_path / "talks" / "other.txt", "Maya Chen: Idempotency keys stop payment retries from charging twice.\nLee Park: Agreed.\n")
    ingest_paths([tmp_path / "talks"], kb)
    kb.fusion = FusionConfig(merge_neighbours=False, learned_order=False)  # one passage per result, so the order is plain to read
    query, within = "idempotency keys for payment retries", SearchFilters(doc_id="meeting.txt")
    fused = [p.chunk_id for p in kb.search(query, top_k=4, filters=within).results]
    everywhere = [p.chunk_id for p in kb.search(query, top_k=4).results]
    kb.fusion = FusionConfig(merge_neighbours=False)
    monkeypatch.setattr(searching, "load_order_trees", lambda: _passage_stump("rank", 0.5, 0.0, 1.0))  # trees: the first fused is worst
    learned = [p.chunk_id for p in kb.search(query, top_k=4, filters=within).results]
    assert len(fused) == 4
    assert learned[:3] == fused[1:4] and fused[0] not in learned[:3]
    assert [p.chunk_id for p in kb.search(query, top_k=4).results] == everywhere  # across documents: the fused order

    def unused():
        raise AssertionError("the learned order is for hybrid search")

    monkeypatch.setattr(searching, "load_order_trees", unused)
    assert kb.search(query, top_k=3, filters=within, mode="dense").results and kb.search(query, top_k=3, filters=within, mode="sparse").results
    kb.fusion = FusionConfig(merge_neighbours=False, learned_order=False)
    assert [p.chunk_id for p in kb.search(query, top_k=4, filters=within).results] == fused
