"""QMSum val: hit and turn recall within a 1,000-word budget, hybrid vs dense vs BM25.

Each of the 35 meetings is ingested as a speaker-labelled transcript (`Speaker:
content`, a turn per line). For each of the 237 specific queries we search
within its meeting (doc_id filter), concatenate the returned passages in rank
order up to 1,000 words, and score the annotated gold turns as
../shared/eval/qmsum-val/README.md defines. Skips cleanly without the data.

Run: `.venv/bin/python benchmarks/qmsum_eval.py` (part of `make eval`).
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import EVAL_DIR, percentiles_ms, print_table  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from kb import KnowledgeBase, Settings  # noqa: E402
from kb.models import SearchFilters  # noqa: E402

DATA = EVAL_DIR / "qmsum-val"
BUDGET_WORDS = 1000


def normalise(text: str) -> str:
    text = re.sub(r"\{\w+\}", " ", text.lower())
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def shingles(words: list[str], n: int = 8) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def covered(turn: str, text: str, text_shingles: set[tuple[str, ...]]) -> bool | None:
    """None for turns under 5 words (ignored by the metric)."""
    words = normalise(turn).split()
    if len(words) < 5:
        return None
    if len(words) < 8:
        return " ".join(words) in text
    grams = shingles(words)
    return sum(g in text_shingles for g in grams) >= len(grams) / 2


def four_grams(text: str) -> set[tuple[str, ...]]:
    words = normalise(text).split()
    return {tuple(words[i : i + 4]) for i in range(len(words) - 3)}


def from_gold(sentence: str, gold: set[tuple[str, ...]]) -> bool:
    """The answer measure: a quoted sentence comes from the annotated turns when half its word 4-grams occur there."""
    grams = four_grams(sentence)
    return bool(grams) and sum(g in gold for g in grams) >= len(grams) / 2


def gold_turns(query: dict, turns: list[dict]) -> list[int]:
    """The annotated relevant turns of a query (spans are inclusive, written as strings)."""
    return [i for start, end in query["relevant_text_span"] for i in range(int(start), int(end) + 1) if i < len(turns)]


def tuning_meeting(name: str) -> bool:
    """One QMSum train meeting in five (by a hash of its name) is kept out of the reader's training, to tune how
    answers weigh it on queries it has not seen; val stays for judging."""
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % 5 == 0


def load_meetings(split: str = "val") -> dict[str, dict]:
    """QMSum val, train, or `tune`: the train meetings the reader did not learn from."""
    folder = EVAL_DIR / f"qmsum-{'train' if split == 'tune' else split}"
    meetings = {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}
    return {name: meeting for name, meeting in meetings.items() if split != "tune" or tuning_meeting(name)}


def write_transcripts(meetings: dict[str, dict], folder: Path) -> None:
    for name, meeting in meetings.items():
        lines = [f"{turn['speaker']}: {' '.join(turn['content'].split())}" for turn in meeting["meeting_transcripts"]]
        (folder / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def score(kb: KnowledgeBase, meetings: dict[str, dict], mode: str, top_k: int) -> dict[str, float]:
    hits, recalls, latencies = [], [], []
    for name, meeting in meetings.items():
        turns = meeting["meeting_transcripts"]
        for query in meeting["specific_query_list"]:
            started = time.perf_counter()
            results = kb.search(query["query"], top_k=top_k, filters=SearchFilters(doc_id=f"{name}.txt"), mode=mode).results
            latencies.append(time.perf_counter() - started)
            words = " ".join(p.text for p in results).split()[:BUDGET_WORDS]
            text = normalise(" ".join(words))
            text_shingles = shingles(text.split())
            gold = gold_turns(query, turns)
            outcomes = [c for c in (covered(turns[i]["content"], text, text_shingles) for i in gold) if c is not None]
            if not outcomes:
                continue
            hits.append(any(outcomes))
            recalls.append(sum(outcomes) / len(outcomes))
    p50, p95 = percentiles_ms(latencies)
    return {"queries": len(hits), "hit": statistics.mean(hits), "turn_recall": statistics.mean(recalls), "p50_ms": p50, "p95_ms": p95}


@contextmanager
def ingested_meetings(split: str = "val"):
    """(meetings, a KnowledgeBase holding them), in a temp store removed afterwards."""
    meetings = load_meetings(split)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "meetings"
        folder.mkdir()
        write_transcripts(meetings, folder)
        kb = KnowledgeBase(Settings(data_dir=Path(tmp) / "kb"))
        started = time.perf_counter()
        report = ingest_paths([folder], kb, kind="transcript")
        print(f"QMSum {split}: {report.added} meetings, {report.passages} passages ingested in {time.perf_counter() - started:.0f} s")
        yield meetings, kb


def main(top_k: int = 10) -> None:
    if not DATA.is_dir():
        print(f"QMSum: {DATA} not found; skipped.")
        return
    with ingested_meetings() as (meetings, kb):
        rows = []
        for mode in ("hybrid", "dense", "sparse"):
            result = score(kb, meetings, mode, top_k)
            rows.append(
                [
                    mode,
                    result["queries"],
                    f"{result['hit']:.3f}",
                    f"{result['turn_recall']:.3f}",
                    f"{result['p50_ms']:.0f}",
                    f"{result['p95_ms']:.0f}",
                ]
            )
    print_table(
        f"QMSum val: within-meeting search, first {BUDGET_WORDS} words of the top {top_k} (targets: hit >= 0.92, turn recall >= 0.52; BM25 over 250-word chunks: 0.82 / 0.42)",
        ["mode", "queries", "hit", "turn recall", "p50 ms", "p95 ms"],
        rows,
    )


if __name__ == "__main__":
    main()
