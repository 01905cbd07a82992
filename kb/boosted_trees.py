"""Small gradient-boosted trees scored with numpy alone: LightGBM trains them, nothing else is needed to use them.

Both learned parts of the product (answer sentences, kb/answers/learned_scores.py; passage order,
kb/search/learned_order.py) ship as a few KB of node arrays in an .npz, read once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Trees:
    """Gradient-boosted trees, flattened: node arrays of shape (trees, nodes).

    Evaluated for all rows and all trees at once, one tree level per step,
    so ~100 rows cost well under a millisecond.
    """

    feature: np.ndarray  # int, -1 at leaves
    threshold: np.ndarray  # go left when x <= threshold
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # leaf values (0 at inner nodes)
    depth: int

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

    def save(self, path: Path, features: tuple[str, ...], **extra: float) -> None:
        """The node arrays, the feature names they were trained on, and any scalars the user of the trees needs."""
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "feature": self.feature.astype(np.int16),
            "threshold": self.threshold.astype(np.float64),
            "left": self.left.astype(np.int16),
            "right": self.right.astype(np.int16),
            "value": self.value.astype(np.float64),
            "depth": self.depth,
            "features": np.asarray(features),
            **extra,
        }
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path, features: tuple[str, ...]) -> tuple[Trees, dict[str, float]] | None:
        """(trees, saved scalars), or None when there is no file or it was made for other features (retrain then)."""
        if not path.is_file():
            return None
        with np.load(path) as body:
            if tuple(str(f) for f in body["features"]) != features:
                return None
            extra = {
                key: float(body[key]) for key in body.files if key not in {"feature", "threshold", "left", "right", "value", "depth", "features"}
            }
            trees = cls(
                body["feature"].astype(np.int64),
                body["threshold"].astype(np.float64),
                body["left"].astype(np.int64),
                body["right"].astype(np.int64),
                body["value"].astype(np.float64),
                int(body["depth"]),
            )
            return trees, extra

    @classmethod
    def from_lightgbm(cls, dump: dict) -> Trees:
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
        return cls(
            arrays["feature"].astype(np.int64),
            arrays["threshold"],
            arrays["left"].astype(np.int64),
            arrays["right"].astype(np.int64),
            arrays["value"],
            depth,
        )


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
