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
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.boosted_trees import Trees

MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "answer_model.npz"
BASE = (
    "weighted",
    "static",
    "dense",
    "similarity",
    "coverage",
    "reply_coverage",
    "prior",
    "rank",
    "new_terms",
    "filler",
    "question",
    "transcript",
    "centrality",
    "idf_mean",
    "salience",
    "terms",
    "line_sentences",
    "line_position",
    "speaker_share",
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
    """Trees predicting a sentence's share of terms a reference answer uses, and how far they re-weight the hand score."""

    trees: Trees
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
        return self.trees.predict(x)

    def save(self, path: Path) -> None:
        self.trees.save(path, FEATURES, offset=self.offset)

    @classmethod
    def from_lightgbm(cls, dump: dict, offset: float = 0.5) -> SentenceModel:
        return cls(Trees.from_lightgbm(dump), offset)


@lru_cache(maxsize=1)
def load_sentence_model(path: Path = MODEL_FILE) -> SentenceModel | None:
    """The shipped model, or None when there is none (the hand-tuned score is used)."""
    loaded = Trees.load(path, FEATURES)
    return SentenceModel(loaded[0], loaded[1]["offset"]) if loaded else None
