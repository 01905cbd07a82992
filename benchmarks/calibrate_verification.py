"""Calibrate the support thresholds of generative-answer verification (kb/answers/verification.py) on QMSum.

A supported sentence: a reference answer's sentence (written by annotators from
the meeting, the way a model writes from passages) against the passage of the
annotated turns that supports it best. Unsupported: the same sentence against
the best-matching passage elsewhere in the same meeting (a wrong citation) and
in another meeting (a made-up claim that only looks related). Passages are ~200
words of consecutive turns, as ingest makes them. For each threshold pair
(idf-weighted word share, cosine of the embedding model's vectors), the table gives the
share of supported sentences kept and of unsupported ones let through, on train
(where thresholds are chosen) and val.

Run: `.venv/bin/python benchmarks/calibrate_verification.py` (make calibrate). Skips without the data.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import EVAL_DIR, print_table  # noqa: E402
from kb import Settings  # noqa: E402
from kb.answers.verification import LEXICAL_MIN, SEMANTIC_MIN, Verifier  # noqa: E402
from kb.bm25.postings import Rows, SparseRow  # noqa: E402
from kb.bm25.term_weights import TermWeights  # noqa: E402
from kb.bm25.tokens import tokenize  # noqa: E402
from kb.embedding import get_embedder  # noqa: E402
from kb.text.sentences import clean_spoken, split_sentences  # noqa: E402

WINDOW_WORDS = 200
LEXICAL = [0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
SEMANTIC = [0.3, 0.35, 0.4, 0.45, 0.5]


def windows(meeting: dict) -> list[dict]:
    """Consecutive turns, ~WINDOW_WORDS words each: text lines, speakers, first and last turn index."""
    out, lines, speakers, first, words = [], [], set(), 0, 0
    for index, turn in enumerate(meeting["meeting_transcripts"]):
        content = clean_spoken(" ".join(turn["content"].split()))
        if not content:
            continue
        if not lines:
            first = index
        lines.append(content)
        speakers.add(turn["speaker"])
        words += len(content.split())
        if words >= WINDOW_WORDS:
            out.append(
                {
                    "units": [s for line in lines for s in split_sentences(line) if len(s.split()) >= 3],
                    "speakers": sorted(speakers),
                    "turns": (first, index),
                }
            )
            lines, speakers, words = [], set(), 0
    if lines:
        out.append(
            {
                "units": [s for line in lines for s in split_sentences(line) if len(s.split()) >= 3],
                "speakers": sorted(speakers),
                "turns": (first, index),
            }
        )
    return [w for w in out if w["units"]]


def relevant(query: dict) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for span in query.get("relevant_text_span", []) for a, b in [span]]


def measure(split: str, meetings_limit: int | None = None, limit: int | None = None) -> dict[str, list[tuple[float, float]]]:
    paths = sorted((EVAL_DIR / f"qmsum-{split}").glob("*.json"))
    meetings = {p.stem: json.loads(p.read_text()) for p in paths[:meetings_limit]}
    cut = {name: windows(m) for name, m in meetings.items()}
    rows = Rows()
    for name, ws in cut.items():
        for i, w in enumerate(ws):
            rows.add(SparseRow(f"{name}-{i}", tokenize([" ".join(w["units"])])[0], name, "transcript"))
    embedder = get_embedder(Settings())
    vectors: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        """The encoder, as the product uses it, with each text encoded once (units recur across sentences)."""
        missing = [t for t in dict.fromkeys(texts) if t not in vectors]
        if missing:
            vectors.update(zip(missing, np.asarray(embedder.embed(missing))))
        return np.stack([vectors[t] for t in texts])

    for ws in cut.values():  # every unit at once: the encoder batches them
        embed([u for w in ws for u in w["units"]])
    verifier = Verifier(embed, TermWeights(lambda: rows))
    rng = random.Random(7)
    names = list(meetings)
    found: dict[str, list[tuple[float, float]]] = {"supported": [], "wrong passage, same meeting": [], "another meeting": []}
    count = 0
    for name, meeting in meetings.items():
        for query in meeting["specific_query_list"]:
            spans = relevant(query)
            inside = [w for w in cut[name] if any(a <= w["turns"][1] and w["turns"][0] <= b for a, b in spans)]
            outside = [w for w in cut[name] if w not in inside]
            other = cut[rng.choice([n for n in names if n != name])]
            for sentence in split_sentences(query["answer"]):
                if len(sentence.split()) < 5 or not inside:
                    continue
                for label, pool in (("supported", inside), ("wrong passage, same meeting", outside), ("another meeting", other)):
                    if pool:
                        found[label].append(best(verifier, sentence, pool))
                count += 1
                if limit and count >= limit:
                    return found
    return found


def best(verifier: Verifier, sentence: str, pool: list[dict]) -> tuple[float, float]:
    """The (word share, cosine) of the passage in `pool` a model would cite: the closest in meaning."""
    vectors = verifier.embed([sentence])
    scored = []
    for w in pool:
        cosine = float(np.max(verifier.embed(w["units"]) @ vectors[0]))
        scored.append((cosine, w))
    cosine, chosen = max(scored, key=lambda pair: pair[0])
    lexical, semantic, _ = verifier.support(sentence, chosen["units"], chosen["speakers"])
    return lexical, semantic


def table(found: dict[str, list[tuple[float, float]]], split: str) -> None:
    rows = []
    for lexical in LEXICAL:
        for semantic in SEMANTIC:
            passes = {label: np.mean([lx >= lexical and sm >= semantic for lx, sm in pairs]) for label, pairs in found.items()}
            chosen = " <- shipped" if (lexical, semantic) == (LEXICAL_MIN, SEMANTIC_MIN) else ""
            rows.append([lexical, semantic, *(f"{passes[label]:.2f}" for label in found), chosen])
    header = ["words >=", "meaning >=", *(f"{label} ({len(pairs)})" for label, pairs in found.items()), ""]
    print_table(f"QMSum {split}: share of sentences let through (supported should be high, the others low)", header, rows)


def main() -> None:
    if not (EVAL_DIR / "qmsum-train").is_dir():
        print("QMSum data not found under ../shared/eval: skipped")
        return
    for split in ("train", "val"):
        found = measure(split)
        table(found, split)


if __name__ == "__main__":
    main()
