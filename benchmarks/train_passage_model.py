"""Learn the passage order from QMSum train; judge it on QMSum val and on half of SciFact train.

For every query, the candidates `kb search` fuses (hybrid, the learned order off)
are labelled: a QMSum passage by the share of the query's gold turns it holds
(0-3), a SciFact passage (`--with-scifact`, queries with an even id) 1 when its
abstract is relevant. LambdaRank trees (LightGBM, seed fixed) learn to order the
top kb.search.learned_order.DEPTH from the features kb/search/learned_order.py computes, nothing
else; the product lets them move transcript passages only, so SciFact's odd half
checks that abstracts keep their order. The table is measured through the real search
(fused order vs learned order): QMSum val hit and turn recall within 1,000 words,
SciFact nDCG@10 on the held-out half. `--save` writes kb/data/passage_model.npz.

Run: `make train-passages` (installs lightgbm; ~10 min, most of it ingesting).
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kb.search.searcher as searcher  # noqa: E402
from benchmarks import qmsum_eval, scifact_eval  # noqa: E402
from benchmarks.common import EVAL_DIR, REPO, print_table  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from kb import KnowledgeBase, Settings  # noqa: E402
from kb.boosted_trees import Trees  # noqa: E402
from kb.models import SearchFilters  # noqa: E402
from kb.search.fusion import FusionConfig  # noqa: E402
from kb.search.learned_order import DEPTH, FEATURES, MODEL_FILE, feature_matrix  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
PARAMS = {
    "objective": "lambdarank",
    "lambdarank_truncation_level": 20,
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 100,
    "seed": 7,
    "deterministic": True,
    "num_threads": 2,
    "verbose": -1,
}
ROUNDS = 200
CANDIDATES = 100


@contextmanager
def store(folder_writer, kind: str | None) -> Iterator[KnowledgeBase]:
    """A temporary knowledge base holding what `folder_writer(folder)` writes, with the learned order off."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        folder_writer(folder)
        with KnowledgeBase(Settings(data_dir=Path(tmp) / "kb"), FusionConfig(learned_order=False)) as kb:
            started = time.perf_counter()
            report = ingest_paths([folder], kb, kind=kind)
            print(f"  {report.added} documents, {report.passages} passages in {time.perf_counter() - started:.0f} s", flush=True)
            yield kb


def qmsum_groups(split: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, labels) per QMSum query: labels 0-3 by the share of the query's gold turns a passage holds."""
    meetings = {path.stem: json.loads(path.read_text()) for path in sorted((EVAL_DIR / f"qmsum-{split}").glob("*.json"))}
    groups = []
    with store(lambda folder: qmsum_eval.write_transcripts(meetings, folder), "transcript") as kb:
        for name, meeting in meetings.items():
            turns = meeting["meeting_transcripts"]
            for query in meeting["specific_query_list"]:
                gold = [
                    turns[int(i)]["content"]
                    for start, end in query["relevant_text_span"]
                    for i in range(int(start), int(end) + 1)
                    if int(i) < len(turns)
                ]
                gold = [turn for turn in gold if len(qmsum_eval.normalise(turn).split()) >= 5]
                ranked = kb.ranked(query["query"], CANDIDATES, SearchFilters(doc_id=f"{name}.txt"))[:DEPTH]
                if not gold or not ranked:
                    continue
                texts = {hit.chunk_id: hit.text for hit in kb.store.get_passages([c.chunk_id for c in ranked])}
                labels = []
                for candidate in ranked:
                    text = qmsum_eval.normalise(texts.get(candidate.chunk_id, ""))
                    grams = qmsum_eval.shingles(text.split())
                    share = sum(bool(qmsum_eval.covered(turn, text, grams)) for turn in gold) / len(gold)
                    labels.append(math.ceil(3 * share))
                groups.append((feature_matrix(ranked, len(kb.sparse.weights.query_weights(query["query"]))), np.asarray(labels)))
    return groups


def scifact_groups(keep) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, labels) per SciFact train query whose id `keep` accepts: 1 for passages of relevant abstracts."""
    corpus, queries, qrels = scifact_eval.load()
    groups = []
    with store(lambda folder: scifact_eval.write_abstracts(corpus, folder), None) as kb:
        for query_id, relevant in qrels.items():
            if not keep(query_id):
                continue
            ranked = kb.ranked(queries[query_id], CANDIDATES, SearchFilters())[:DEPTH]
            labels = [int(c.doc_id.removesuffix(".md") in relevant) for c in ranked]
            groups.append((feature_matrix(ranked, len(kb.sparse.weights.query_weights(queries[query_id]))), np.asarray(labels)))
    return groups


def cached(name: str, make) -> list:
    path = RESULTS / f"passages-{name}.pkl"
    if not path.is_file():
        print(f"collecting {name}", flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(make()))
    return pickle.loads(path.read_bytes())


def fit(groups: list[tuple[np.ndarray, np.ndarray]]) -> Trees:
    import lightgbm

    x = np.concatenate([g[0] for g in groups])
    y = np.concatenate([g[1] for g in groups])
    data = lightgbm.Dataset(x, y, group=[len(g[1]) for g in groups], feature_name=list(FEATURES))
    return Trees.from_lightgbm(lightgbm.train(PARAMS, data, num_boost_round=ROUNDS).dump_model())


def held_out(trees: Trees) -> list[list[str]]:
    """QMSum val and SciFact's odd half, each searched with the fused order and then with `trees`."""
    rows = []
    meetings = qmsum_eval.load_meetings()
    with store(lambda folder: qmsum_eval.write_transcripts(meetings, folder), "transcript") as kb:
        for label, model in (("fused order (before)", None), ("learned order", trees)):
            _use(kb, model)
            r = qmsum_eval.score(kb, meetings, "hybrid", 10)
            rows.append([label, f"{r['hit']:.3f}", f"{r['turn_recall']:.3f}"])
    corpus, queries, qrels = scifact_eval.load()
    odd = {q: r for q, r in qrels.items() if int(q) % 2}
    with store(lambda folder: scifact_eval.write_abstracts(corpus, folder), None) as kb:
        for row, model in zip(rows, (None, trees)):
            _use(kb, model)
            row.append(f"{scifact_eval.score(kb, queries, odd, 'hybrid')[0]:.3f}")
    return rows


def _use(kb: KnowledgeBase, trees: Trees | None) -> None:
    kb.fusion = FusionConfig(learned_order=trees is not None)
    searcher.load_order_trees = lambda: trees  # what a search within one document reads (not the shipped file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", action="store_true", help=f"write the trees to {MODEL_FILE}")
    parser.add_argument("--with-scifact", action="store_true", help="train on SciFact's even half too (tried: no better for transcripts)")
    args = parser.parse_args()
    if not (EVAL_DIR / "qmsum-train").is_dir() or not scifact_eval.DATA.is_dir():
        print(f"QMSum train or SciFact not found under {EVAL_DIR}; skipped.")
        return
    train = cached("qmsum-train", lambda: qmsum_groups("train"))
    if args.with_scifact:
        train += cached("scifact-even", lambda: scifact_groups(lambda q: int(q) % 2 == 0))
    trees = fit(train)
    print_table(
        f"Passage order, held out: QMSum val (hit, turn recall within 1,000 words) and SciFact train's odd half (nDCG@10); trained on {len(train)} queries",
        ["order", "QMSum hit", "QMSum turn recall", "SciFact nDCG@10 (odd half)"],
        held_out(trees),
    )
    if args.save:
        trees.save(MODEL_FILE, FEATURES)
        print(f"saved {MODEL_FILE} ({MODEL_FILE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
