"""The BM25 postings engine and its file: exact scores through writes, and a file that round-trips without pickle."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kb.bm25 import index_file as bm25_file
from kb.bm25.postings import MIN_DELTA, Rows, SparseRow


def _row(i: int, tokens: list[str], speakers: tuple[str, ...] = ()) -> SparseRow:
    return SparseRow(f"c{i}", tokens, f"doc-{i // 10}.vtt", "transcript" if i % 2 else "essay", speakers, i % 10)


def _brute_bm25(docs: dict[str, list[str]], query: list[str]) -> dict[str, float]:
    """Textbook BM25 (Lucene idf, k1 1.5, b 0.75) over the live documents, for comparison."""
    n, average = len(docs), sum(map(len, docs.values())) / len(docs)
    out = {}
    for chunk_id, tokens in docs.items():
        score = 0.0
        for term in query:
            df = sum(term in other for other in docs.values())
            tf = tokens.count(term)
            if tf:
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                score += idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * len(tokens) / average))
        out[chunk_id] = score
    return out


def _corpus(rows: Rows, count: int) -> dict[str, list[str]]:
    words = ["sponsor", "promotion", "pager", "review", "mentor", "glue", "staff", "ünïcode"]
    live: dict[str, list[str]] = {}
    for i in range(count):
        tokens = [words[(i * 7 + j * 3) % len(words)] for j in range(3 + i % 9)]
        rows.add(_row(i, tokens, (f"Speaker {i % 3}", "Zoë") if i % 2 else ()))
        live[f"c{i}"] = tokens
    return live


def test_scores_stay_exact_bm25_through_folds_tombstones_and_replacements() -> None:
    rows = Rows()
    live = _corpus(rows, MIN_DELTA * 2 + 50)  # more than one fold
    rows = rows.settled()
    for i in range(0, 400, 3):
        rows.remove(f"c{i}")
        live.pop(f"c{i}")
    rows.add(_row(5, ["glue", "glue", "pager"]))  # a replacement: the old row becomes a tombstone
    live["c5"] = ["glue", "glue", "pager"]
    rows = rows.settled()
    scores = rows.scores(["glue", "pager"])
    assert scores is not None
    expected = _brute_bm25(live, ["glue", "pager"])
    for chunk_id, want in expected.items():
        assert scores[rows.position[chunk_id]] == pytest.approx(want, rel=1e-9)


def test_the_file_round_trips_every_field_and_every_score(tmp_path: Path) -> None:
    rows = Rows()
    _corpus(rows, MIN_DELTA + 300)
    rows = rows.settled()
    _corpus(rows, 40)  # re-adds c0..c39: tombstones, plus a delta not folded yet
    rows.remove("c41")
    path = tmp_path / "bm25" / "store.npz"
    bm25_file.save(path, "generation-7", rows)
    loaded = bm25_file.load(path)
    assert loaded is not None
    generation, back = loaded
    assert generation == "generation-7"
    for field in (
        "vocab",
        "ids",
        "position",
        "doc_ids",
        "kinds",
        "speakers",
        "by_doc",
        "by_kind",
        "by_speaker",
        "live_rows",
        "live_length",
        "main_rows",
    ):
        assert getattr(back, field) == getattr(rows, field), field
    assert bytes(back.alive) == bytes(rows.alive) and list(back.places) == list(rows.places) and list(back.lengths) == list(rows.lengths)
    for query in (["sponsor"], ["ünïcode", "glue", "glue"], ["unknown"]):
        before, after = rows.scores(query), back.scores(query)
        assert (before is None and after is None) or np.array_equal(before, after)
    with zipfile.ZipFile(path) as archive:  # plain arrays: nothing a reader has to unpickle
        assert all(name.endswith(".npy") for name in archive.namelist())
    np.load(path, allow_pickle=False)["ids_utf8"]  # loads with pickling refused


def test_an_empty_index_round_trips(tmp_path: Path) -> None:
    bm25_file.save(tmp_path / "empty.npz", "", Rows())
    loaded = bm25_file.load(tmp_path / "empty.npz")
    assert loaded is not None and loaded[1].ids == [] and loaded[1].scores(["anything"]) is None


def test_a_file_of_another_layout_or_a_broken_one_loads_as_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.npz"
    assert bm25_file.load(path) is None  # missing
    path.write_bytes(b"\x80\x05 a pickle of an older build")
    assert bm25_file.load(path) is None
    bm25_file.save(path, "g", Rows())
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    arrays["header"] = np.frombuffer(json.dumps({"format": "panel-kb-bm25", "version": 3}).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    assert bm25_file.load(path) is None
    truncated = path.read_bytes()[:200]
    path.write_bytes(truncated)
    assert bm25_file.load(path) is None
