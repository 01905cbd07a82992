"""A learned passage order: boosted trees re-rank the fused candidates before results are shaped.

Why: fused scores judge each passage alone, but in a conversation what answers a
question runs in stretches, and the best next passage is often the one after a strong
match rather than a weak match elsewhere. Trees trained with LambdaRank on QMSum train
(gold turns) read only what the fusion already knows about each candidate: its
scores on both sides, its rank, and its neighbours' scores in the same document;
they move a transcript's passages only among the places that transcript already
holds (moved across documents, they cost essays, SciFact and multi-document questions).
benchmarks/train_passage_model.py retrains them; benchmarks/README.md has the
validation table. Nothing here knows a data set: the features are general.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.boosted_trees import Trees
from kb.search.fusion import Candidate

MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "passage_model.npz"
FEATURES = ("fused", "fused_rel", "dense", "dense_rel", "sparse_rel", "rank", "prev", "next", "query_terms", "transcript")
DEPTH = 40  # candidates re-ranked; the rest keep their fused order below them


def feature_matrix(ranked: list[Candidate], query_terms: int) -> np.ndarray:
    """One row per candidate in `ranked[:DEPTH]` (best fused first); neighbours are looked up among all candidates."""
    top = ranked[:DEPTH]
    if not top:
        return np.zeros((0, len(FEATURES)))
    best_fused = max(c.fused for c in top) or 1.0
    best_dense = max((c.dense_score or 0.0) for c in top) or 1.0
    best_sparse = max((c.sparse_score or 0.0) for c in top) or 1.0
    fused_at = {(c.doc_id, c.position): c.fused for c in ranked}
    rows = [
        [
            c.fused,
            c.fused / best_fused,
            c.dense_score or 0.0,
            (c.dense_score or 0.0) / best_dense,
            (c.sparse_score or 0.0) / best_sparse,
            float(rank),
            fused_at.get((c.doc_id, c.position - 1), 0.0) / best_fused,
            fused_at.get((c.doc_id, c.position + 1), 0.0) / best_fused,
            float(query_terms),
            float(c.kind == "transcript"),
        ]
        for rank, c in enumerate(top)
    ]
    return np.asarray(rows, dtype=np.float64)


def rerank(ranked: list[Candidate], query_terms: int, trees: Trees) -> list[Candidate]:
    """Each transcript's passages among the first DEPTH re-ordered by the trees, in the slots that transcript held.

    The trees decide which stretch of a conversation answers best, not which
    conversation or which kind of document: they were trained within one meeting,
    and moving passages across documents cost the corpus's multi-document
    questions, SciFact and essays (benchmarks/README.md). So every other passage
    keeps its fused place, and so does each document's share of the slots.
    """
    top = ranked[:DEPTH]
    slots: dict[str, list[int]] = {}
    for i, candidate in enumerate(top):
        if candidate.kind == "transcript":
            slots.setdefault(candidate.doc_id, []).append(i)
    if all(len(held) < 2 for held in slots.values()):
        return ranked
    scores = trees.predict(feature_matrix(ranked, query_terms))
    reordered = list(top)
    for held in slots.values():
        for slot, source in zip(held, sorted(held, key=lambda i: -scores[i])):  # stable: ties keep fused order
            reordered[slot] = top[source]
    return reordered + ranked[DEPTH:]


@lru_cache(maxsize=1)
def load_order_trees(path: Path = MODEL_FILE) -> Trees | None:
    """The shipped trees, or None (then the fused order stands)."""
    loaded = Trees.load(path, FEATURES)
    return loaded[0] if loaded else None
