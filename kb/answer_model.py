"""A learned score for answer sentences: small boosted trees over the composer's features.

Why learned: hand-tuned weights had stopped moving QMSum answers (benchmarks/README.md),
and a greedy pick over the same sentence pool reaches ROUGE-1 ~45, so the choice is
what lacks. The model is fitted on QMSum *train* by benchmarks/train_answer_model.py
(validated on val) to predict how much of a sentence a reference answer would use;
it knows nothing of any data set beyond these general features. It ships as a small
.npz of node arrays and is read once per process; scoring needs only numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).resolve().parent / "data" / "answer_model.npz"
BASE = (
    "weighted", "static", "dense", "similarity", "coverage", "reply_coverage", "prior", "rank", "new_terms", "filler", "question", "transcript",
    "centrality", "idf_mean", "salience", "terms", "line_sentences", "line_position", "speaker_share",
)
FEATURES = (*BASE, "lexical", "log_words", "short", "relative_similarity", "relative_static", "relative_coverage")


def feature_matrix(rows: list[dict[str, float]]) -> np.ndarray:
    """One row per sentence of one question: the composer's features plus ones relative to the best sentence."""
    if not rows:
        return np.zeros((0, len(FEATURES)))
    base = np.asarray([[row[name] for name in BASE] for row in rows], dtype=np.float64)
    column = {name: base[:, i] for i, name in enumerate(BASE)}
    words = np.asarray([row["words"] for row in rows], dtype=np.float64)
    lexical = np.maximum(column["coverage"], column["reply_coverage"])
    derived = [
        lexical,
        np.log1p(words),
        (words < 8).astype(np.float64),
        column["similarity"] / max(column["similarity"].max(), 1e-6),
        column["static"] / max(column["static"].max(), 1e-6),
        lexical / max(lexical.max(), 1e-6),
    ]
    return np.hstack([base, np.stack(derived, axis=1)])


@dataclass
class SentenceModel:
    """Gradient-boosted regression trees, flattened: node arrays of shape (trees, nodes).

    Evaluated for all sentences and all trees at once, one tree level per step,
    so a question's ~100 sentences cost well under a millisecond.
    """

    feature: np.ndarray  # int, -1 at leaves
    threshold: np.ndarray  # go left when x <= threshold
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # leaf values (0 at inner nodes)
    depth: int
    offset: float  # the hand-tuned score counts this much even where the trees predict nothing

    def score(self, rows: list[dict[str, float]]) -> np.ndarray:
        """The hand-tuned score re-weighted by what the trees predict (a sentence's share of terms a reference uses).

        Re-weighting rather than replacing keeps what the hand-tuned score knows about
        an answer's shape (length, restating the question), which trees trained on
        sentences one at a time did not learn: alone they quoted worse (benchmarks/README.md).
        """
        if not rows:
            return np.zeros(0)
        weighted = np.asarray([row["weighted"] for row in rows])
        return weighted * (self.offset + np.clip(self.predict(feature_matrix(rows)), 0.0, None))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The trees' sum for each row of a feature matrix: every row walks every tree, one level a step."""
        if not len(x):
            return np.zeros(0)
        feature, threshold, left, right, value = self._flat
        width = x.shape[1]
        flat_x = x.ravel()
        rows = np.arange(len(x))[:, None] * width
        node = np.broadcast_to(self._roots, (len(x), len(self._roots)))
        for _ in range(self.depth):
            node = np.where(flat_x[rows + feature[node]] <= threshold[node], left[node], right[node])
        return value[node].sum(axis=1)

    @cached_property
    def _roots(self) -> np.ndarray:
        return np.arange(self.feature.shape[0]) * self.feature.shape[1]

    @cached_property
    def _flat(self) -> tuple[np.ndarray, ...]:
        """All trees in one set of 1-D arrays; a leaf sends every row to itself, so walks need no masks."""
        trees, width = self.feature.shape
        base = (np.arange(trees) * width)[:, None]
        leaf = self.feature < 0
        own = base + np.arange(width)[None, :]
        left = np.where(leaf, own, base + self.left).ravel()
        right = np.where(leaf, own, base + self.right).ravel()
        threshold = np.where(leaf, np.inf, self.threshold).ravel()
        return np.maximum(self.feature, 0).ravel(), threshold, left, right, self.value.ravel()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, feature=self.feature.astype(np.int16), threshold=self.threshold.astype(np.float64), left=self.left.astype(np.int16),
                            right=self.right.astype(np.int16), value=self.value.astype(np.float64), depth=self.depth, offset=self.offset, features=np.asarray(FEATURES))

    @classmethod
    def from_lightgbm(cls, dump: dict, offset: float = 0.5) -> SentenceModel:
        """From `Booster.dump_model()` (the training script's; lightgbm is not needed to score)."""
        flat = [_flatten(tree["tree_structure"]) for tree in dump["tree_info"]]
        width = max(len(nodes) for nodes in flat)
        arrays = {name: np.zeros((len(flat), width), dtype=np.float64) for name in ("feature", "threshold", "left", "right", "value")}
        arrays["feature"][:] = -1
        depth = 0
        for t, nodes in enumerate(flat):
            for i, (feature, threshold, left, right, value, level) in enumerate(nodes):
                for name, v in zip(("feature", "threshold", "left", "right", "value"), (feature, threshold, left, right, value)):
                    arrays[name][t, i] = v
                depth = max(depth, level)
        return cls(arrays["feature"].astype(np.int64), arrays["threshold"], arrays["left"].astype(np.int64), arrays["right"].astype(np.int64), arrays["value"], depth, offset)


def _flatten(root: dict) -> list[tuple[int, float, int, int, float, int]]:
    """A LightGBM tree as (feature, threshold, left, right, leaf value, depth) rows, root first."""
    nodes: list[list] = []

    def visit(node: dict, level: int) -> int:
        index = len(nodes)
        nodes.append([-1, 0.0, index, index, float(node.get("leaf_value", 0.0)), level])
        if "split_feature" in node:
            if node.get("decision_type", "<=") != "<=":
                raise ValueError("only numeric '<=' splits are supported")
            left, right = visit(node["left_child"], level + 1), visit(node["right_child"], level + 1)
            nodes[index][:4] = [int(node["split_feature"]), float(node["threshold"]), left, right]
        return index

    visit(root, 0)
    return [tuple(n) for n in nodes]


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> SentenceModel | None:
    """The shipped model, or None when there is none (the hand-tuned score is used)."""
    if not path.is_file():
        return None
    with np.load(path) as body:
        if tuple(str(f) for f in body["features"]) != FEATURES:
            return None  # made for other features: retrain with benchmarks/train_answer_model.py
        return SentenceModel(body["feature"].astype(np.int64), body["threshold"].astype(np.float64), body["left"].astype(np.int64),
                             body["right"].astype(np.int64), body["value"].astype(np.float64), int(body["depth"]), float(body["offset"]))
