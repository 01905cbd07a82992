"""Candidate answer sentences with their features and labels, from QMSum train or val.

For every specific query: the same search `kb ask` runs (the meeting's doc_id
filter, 2 x top_k passages), the same sentence split, and the composer's own
features (`ExtractiveComposer.features`), so what a model learns here is what
the product computes. Each sentence is labelled against the reference answer:
the share of its content terms (stemmed, stop words out) that the reference
uses, and how many of the reference's terms it brings. The composer's own
sentence objects are kept too, so a score can be judged through its real pick.

Run: `.venv/bin/python benchmarks/answer_data.py train` (or `val`); writes
benchmarks/results/answer-<split>.pkl, which train_answer_model.py reads.
"""

from __future__ import annotations

import json
import pickle
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import EVAL_DIR, REPO  # noqa: E402
from benchmarks.qmsum_eval import write_transcripts  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from kb import KnowledgeBase, Settings  # noqa: E402
from kb.answers.asker import ASK_POOL  # noqa: E402
from kb.answers.relevance import RELEVANCE_THRESHOLD  # noqa: E402
from kb.answers.units import split_passage  # noqa: E402
from kb.models import SearchFilters  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"


def collect(split: str, top_k: int = 5) -> list[dict]:
    meetings = {path.stem: json.loads(path.read_text()) for path in sorted((EVAL_DIR / f"qmsum-{split}").glob("*.json"))}
    queries = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "meetings"
        folder.mkdir()
        write_transcripts(meetings, folder)
        with KnowledgeBase(Settings(data_dir=Path(tmp) / "kb")) as kb:
            started = time.perf_counter()
            report = ingest_paths([folder], kb, kind="transcript")
            print(f"QMSum {split}: {report.added} meetings, {report.passages} passages in {time.perf_counter() - started:.0f} s")
            composer = kb.composer
            for name, meeting in meetings.items():
                for query in meeting["specific_query_list"]:
                    passages = kb.search(query["query"], top_k=top_k * ASK_POOL, filters=SearchFilters(doc_id=f"{name}.txt")).results
                    sentences = [s for p in passages for s in split_passage(p)]
                    if not sentences:
                        continue
                    features = composer.features(query["query"], sentences, passages, extended=True)
                    reference = set(composer.idf.terms_of([query["answer"]])[0])
                    queries.append(
                        {
                            "meeting": name,
                            "query": query["query"],
                            "reference": query["answer"],
                            "relevant": max(p.dense_score or 0.0 for p in passages) >= RELEVANCE_THRESHOLD,
                            "passages": passages,
                            "objects": sentences,  # the composer's own Sentence objects: a score is judged through its pick
                            "sentences": [
                                {
                                    "text": s.text,
                                    "passage": s.passage.n,
                                    "line": s.line,
                                    "features": f,
                                    "precision": len(s.terms & reference) / len(s.terms) if s.terms else 0.0,
                                    "recall": len(s.terms & reference) / len(reference) if reference else 0.0,
                                }
                                for s, f in zip(sentences, features)
                            ],
                        }
                    )
    return queries


def main() -> None:
    split = sys.argv[1] if len(sys.argv) > 1 else "train"
    if not (EVAL_DIR / f"qmsum-{split}").is_dir():
        print(f"QMSum {split}: not found under {EVAL_DIR}; skipped.")
        return
    queries = collect(split)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"answer-{split}.pkl"
    out.write_bytes(pickle.dumps(queries))
    print(f"{len(queries)} queries, {sum(len(q['sentences']) for q in queries)} sentences -> {out}")


if __name__ == "__main__":
    main()
