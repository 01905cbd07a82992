"""BEIR SciFact (train queries): nDCG@10 per document, hybrid vs dense vs BM25.

Each abstract is ingested as a Markdown file (title in front matter); a query's
passages are collapsed to documents in rank order. Skips cleanly without the data.
Published test-set anchors: BM25 0.665-0.687, all-MiniLM-L6-v2 0.645,
bge-small-en-v1.5 0.713. Target: hybrid >= 0.72.

Run: `.venv/bin/python benchmarks/scifact_eval.py` (part of `make eval`).
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import EVAL_DIR, percentiles_ms, print_table  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from kb import KnowledgeBase, Settings  # noqa: E402

DATA = EVAL_DIR / "scifact"


def load() -> tuple[list[dict], dict[str, str], dict[str, set[str]]]:
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").read_text().splitlines()]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (DATA / "queries.jsonl").read_text().splitlines())}
    qrels: dict[str, set[str]] = defaultdict(set)
    for line in (DATA / "qrels" / "train.tsv").read_text().splitlines()[1:]:
        query_id, doc_id, score = line.split("\t")
        if int(score) > 0:
            qrels[query_id].add(doc_id)
    return corpus, queries, qrels


def write_abstracts(corpus: list[dict], folder: Path) -> None:
    for doc in corpus:
        front = f"---\ntitle: {json.dumps(doc['title'])}\nkind: essay\n---\n"
        (folder / f"{doc['_id']}.md").write_text(front + doc["text"] + "\n", encoding="utf-8")


def ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:10]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal if ideal else 0.0


def score(kb: KnowledgeBase, queries: dict[str, str], qrels: dict[str, set[str]], mode: str) -> tuple[float, float, float]:
    values, latencies = [], []
    for query_id, relevant in qrels.items():
        started = time.perf_counter()
        results = kb.search(queries[query_id], top_k=30, mode=mode).results
        latencies.append(time.perf_counter() - started)
        ranked = list(dict.fromkeys(p.doc_id.removesuffix(".md") for p in results))
        values.append(ndcg_at_10(ranked, relevant))
    return (sum(values) / len(values), *percentiles_ms(latencies))


def main() -> None:
    if not DATA.is_dir():
        print(f"SciFact: {DATA} not found; skipped.")
        return
    corpus, queries, qrels = load()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "abstracts"
        folder.mkdir()
        write_abstracts(corpus, folder)
        kb = KnowledgeBase(Settings(data_dir=Path(tmp) / "kb"))
        started = time.perf_counter()
        report = ingest_paths([folder], kb)
        print(f"SciFact: {report.added} abstracts, {report.passages} passages ingested in {time.perf_counter() - started:.0f} s")
        rows = []
        for mode in ("hybrid", "dense", "sparse"):
            ndcg, p50, p95 = score(kb, queries, qrels, mode)
            rows.append([mode, len(qrels), f"{ndcg:.3f}", f"{p50:.0f}", f"{p95:.0f}"])
    print_table("SciFact train: nDCG@10 per document (target: hybrid >= 0.72)", ["mode", "queries", "nDCG@10", "p50 ms", "p95 ms"], rows)


if __name__ == "__main__":
    main()
