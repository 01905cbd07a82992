"""Tune how answers weigh the reader: READER_RANK_WEIGHT and READER_RELATIVE_SCORE (kb/answers/extractive.py).

On the tuning meetings (QMSum train meetings the reader did not learn from, `qmsum_eval.tuning_meeting`), never
on val: each pair of values is run through `kb ask` and judged as `make eval` judges answers (R-1, words and
first sentence from the gold turns). The reader's score of each (question, unit) is computed once and reused
across the grid. Skips cleanly without the data or without a shipped reader (or `--adapters`).

Run: `.venv/bin/python benchmarks/reader_answer_grid.py [--adapters trial.npz]`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.answers_eval import evaluate  # noqa: E402
from benchmarks.common import print_table  # noqa: E402
from benchmarks.qmsum_eval import DATA, ingested_meetings  # noqa: E402

RANK_WEIGHTS = [0.0, 0.25, 0.5, 1.0, 2.0]
RELATIVE_SCORES = [0.3, 0.4, 0.6, 0.8]


class RememberingReader:
    """A reader that scores each (question, text) once: the grid re-asks the same questions."""

    def __init__(self, reader) -> None:
        self.reader, self.seen = reader, {}

    def answers(self, question: str, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if (question, t) not in self.seen]
        if missing:
            self.seen.update(((question, t), float(p)) for t, p in zip(missing, self.reader.answers(question, missing)))
        return np.array([self.seen[(question, t)] for t in texts], dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adapters", type=Path, default=None)
    parser.add_argument("--split", default="tune", choices=["tune", "val"])
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"{DATA} not found; skipped.")
        return
    import kb.answers.extractive as extractive
    from kb.reader.build import ADAPTERS, reader_model_dir
    from kb.reader.reader import Reader

    adapters = args.adapters or (ADAPTERS if ADAPTERS.is_file() else None)
    if adapters is None:
        print("no reader ships and none was named (--adapters): nothing to tune")
        return
    rows = []
    with ingested_meetings(args.split) as (meetings, kb):
        kb.composer.reader = RememberingReader(Reader(reader_model_dir(kb.settings.model_cache, adapters)))
        for weight in RANK_WEIGHTS:
            for relative in RELATIVE_SCORES:
                extractive.READER_RANK_WEIGHT, extractive.READER_RELATIVE_SCORE = weight, relative
                r = evaluate(kb, meetings)
                rows.append([weight, relative, f"{100 * r['rouge1']:.1f}", f"{r['gold_words']:.3f}", f"{r['gold_first']:.3f}", f"{r['words']:.0f}"])
                print(rows[-1], flush=True)
        kb.composer.reader = None
        r = evaluate(kb, meetings)
        rows.append(["hand-tuned", "-", f"{100 * r['rouge1']:.1f}", f"{r['gold_words']:.3f}", f"{r['gold_first']:.3f}", f"{r['words']:.0f}"])
    print_table(
        f"QMSum {args.split}: answers by the reader, per rank weight and relative floor",
        ["rank weight", "relative floor", "R-1", "words from gold", "first from gold", "words"],
        rows,
    )


if __name__ == "__main__":
    main()
