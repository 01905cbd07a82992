"""Learn how answer sentences are scored, from QMSum train; judge it on val.

Reads benchmarks/results/answer-{train,val}.pkl (answer_data.py writes them),
fits boosted regression trees (LightGBM, seed fixed) on train to predict the
share of a sentence's terms the reference answer uses, chooses on train how far
they re-weight the hand-tuned score, and prints a validation table: the
hand-tuned score, the trees alone, the two together, query-term coverage alone
and the label itself, each through the composer's own pick and rendering at
100 words (what `kb ask` would answer), ROUGE-1 against the references. `--save` writes
kb/data/answer_model.npz, which the composer then uses instead of its
hand-tuned weights.

Run: `make train-answers` (installs lightgbm, collects both splits, trains).
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.answer_data import RESULTS  # noqa: E402
from benchmarks.common import print_table  # noqa: E402
from kb.answers.extractive import ExtractiveComposer, render, weighted_score  # noqa: E402
from kb.answers.learned_scores import FEATURES, MODEL_FILE, SentenceModel, feature_matrix  # noqa: E402
from kb.answers.markers import MARKER  # noqa: E402

BUDGET = 100
PICKER = ExtractiveComposer(quick_embed=None, idf=None)  # its pick reads only the scores set on the sentences
PARAMS = {
    "objective": "regression",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 200,
    "lambda_l2": 10.0,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "seed": 7,
    "deterministic": True,
    "num_threads": 2,
    "verbose": -1,
}
ROUNDS = 300
OFFSETS = (0.0, 0.2, 0.5, 1.0)


def hand_tuned(query: dict) -> np.ndarray:
    return np.asarray([weighted_score(s["features"]) for s in query["sentences"]])


def answer(query: dict, scores: np.ndarray) -> str:
    """What `kb ask` would answer with these sentence scores: the composer's own pick and rendering."""
    if not query["relevant"]:
        return ""
    for sentence, row, score in zip(query["objects"], query["sentences"], scores):
        f = row["features"]
        sentence.similarity = f["similarity"]
        sentence.score = float(score) if not (f["filler"] or f["question"]) else -1.0
    text, _ = render(PICKER.choose(query["objects"], BUDGET), query["passages"])
    return MARKER.sub("", text)


def rouge1(queries: list[dict], score_fn) -> float:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    return 100 * statistics.mean(scorer.score(q["reference"], answer(q, score_fn(q)))["rouge1"].fmeasure for q in queries)


def training_set(queries: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for query in queries:
        xs.append(feature_matrix([s["features"] for s in query["sentences"]]))
        ys.append(np.asarray([s["precision"] for s in query["sentences"]]))
    return np.concatenate(xs), np.concatenate(ys)


def fit(x: np.ndarray, y: np.ndarray) -> SentenceModel:
    import lightgbm

    booster = lightgbm.train(PARAMS, lightgbm.Dataset(x, y, feature_name=list(FEATURES)), num_boost_round=ROUNDS)
    return SentenceModel.from_lightgbm(booster.dump_model())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", action="store_true", help=f"write the model to {MODEL_FILE}")
    args = parser.parse_args()
    train = pickle.loads((RESULTS / "answer-train.pkl").read_bytes())
    val = pickle.loads((RESULTS / "answer-val.pkl").read_bytes())
    model = fit(*training_set(train))
    tuning = train[::4]  # the offset is chosen on train, never on val
    offsets = {
        offset: rouge1(tuning, lambda q, o=offset: replace(model, offset=o).score([s["features"] for s in q["sentences"]])) for offset in OFFSETS
    }
    model = replace(model, offset=max(offsets, key=offsets.get))
    rows = []
    for name, fn in (
        ("hand-tuned (before)", hand_tuned),
        ("trees alone", lambda q: model.predict(feature_matrix([s["features"] for s in q["sentences"]]))),
        (f"hand-tuned x ({model.offset:g} + trees)", lambda q: model.score([s["features"] for s in q["sentences"]])),
        ("query-term coverage only", lambda q: np.asarray([s["features"]["coverage"] for s in q["sentences"]])),
        ("the label itself (oracle)", lambda q: np.asarray([s["precision"] for s in q["sentences"]])),
    ):
        rows.append([name, f"{rouge1(tuning, fn):.1f}", f"{rouge1(val, fn):.1f}"])
    print("offsets tried on train:", ", ".join(f"{o:g}: {r:.2f}" for o, r in offsets.items()))
    print_table(
        f"Sentence scores through the composer's pick, {BUDGET} words, ROUGE-1 F",
        ["scorer", f"train R-1 ({len(tuning)} q)", f"val R-1 ({len(val)} q)"],
        rows,
    )
    if args.save:
        model.save(MODEL_FILE)
        print(f"saved {MODEL_FILE} ({MODEL_FILE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
