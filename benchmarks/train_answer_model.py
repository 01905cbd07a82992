"""Learn how answer sentences are scored, from QMSum train; judge it on val.

Reads benchmarks/results/answer-{train,val}.pkl (answer_data.py writes them),
fits boosted regression trees (LightGBM, seed fixed) on train to predict the
share of a sentence's terms the reference answer uses, and prints a validation
table: the hand-tuned score, the learned one, query-term coverage alone and the
label itself, each through the same greedy 100-word pick, ROUGE-1 against the
references. `--save` writes kb/data/answer_model.npz, which the composer then
uses instead of its hand-tuned weights: save only a model that also wins in
`benchmarks/answers_eval.py` (this quick pick leaves out attributions, the
per-turn cap and near-duplicates).

Run: `make train-answers` (installs lightgbm, collects both splits, trains).
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.answer_data import RESULTS  # noqa: E402
from benchmarks.common import print_table  # noqa: E402
from kb.answer_model import FEATURES, MODEL_FILE, SentenceModel, feature_matrix  # noqa: E402

BUDGET = 100
PARAMS = {
    "objective": "regression", "learning_rate": 0.05, "num_leaves": 7, "min_data_in_leaf": 200, "lambda_l2": 10.0,
    "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8, "seed": 7, "deterministic": True, "num_threads": 2, "verbose": -1,
}
ROUNDS = 300


def hand_tuned(rows: list[dict]) -> np.ndarray:
    from kb.answer import FULL_LENGTH_WORDS, WEIGHTS

    scores = []
    for f in rows:
        lexical = max(f["coverage"], f["reply_coverage"])
        shape = min(1.0, f["words"] / FULL_LENGTH_WORDS) * (0.4 + 0.6 * f["new_terms"])
        score = (WEIGHTS[0] * f["similarity"] + WEIGHTS[1] * lexical + WEIGHTS[2] * f["prior"]) * shape
        scores.append(-1.0 if f["filler"] or f["question"] else score)
    return np.asarray(scores)


def pick(sentences: list[dict], scores: np.ndarray) -> str:
    chosen, used = [], 0
    for index in np.argsort(-scores, kind="stable"):
        words = len(sentences[index]["text"].split())
        if scores[index] <= -1 or used + words > BUDGET:
            continue
        chosen.append(index)
        used += words
    return " ".join(sentences[i]["text"] for i in sorted(chosen))


def rouge1(queries: list[dict], score_fn) -> float:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    results = []
    for query in queries:
        answer = pick(query["sentences"], score_fn(query))
        results.append(scorer.score(query["reference"], answer)["rouge1"].fmeasure)
    return 100 * statistics.mean(results)


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
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    train = pickle.loads((RESULTS / "answer-train.pkl").read_bytes())
    val = pickle.loads((RESULTS / "answer-val.pkl").read_bytes())
    x, y = training_set(train)
    model = fit(x, y)
    rows = []
    for name, fn in (
        ("hand-tuned (shipped)", lambda q: hand_tuned([s["features"] for s in q["sentences"]])),
        ("learned", lambda q: model.score([s["features"] for s in q["sentences"]])),
        ("query-term coverage only", lambda q: np.asarray([s["features"]["coverage"] for s in q["sentences"]])),
        ("oracle: label itself", lambda q: np.asarray([s["precision"] for s in q["sentences"]])),
    ):
        rows.append([name, f"{rouge1(train[:300], fn):.1f}", f"{rouge1(val, fn):.1f}"])
    print_table(f"Sentence scoring, greedy {BUDGET}-word pick, ROUGE-1 F (train: first 300 queries)", ["scorer", "train R-1", "val R-1"], rows)
    if args.save:
        model.save(MODEL_FILE)
        print(f"saved {MODEL_FILE}")


if __name__ == "__main__":
    main()
