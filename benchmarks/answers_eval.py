"""Answers on QMSum val: ROUGE of `ask` (max_words 100, the meeting's doc_id filter) against the references,
and whether the answer quotes the turns that answer.

ROUGE-1, ROUGE-2 and summary-level ROUGE-L (rougeLsum), F1 with stemming, from
Google's rouge-score; [n] markers removed. Also a query-novel ROUGE-1: stop
words and the question's own words removed from both sides, so echoing the
question earns nothing. Beside it, in the same run: BM25 sentence selection over
the same pooled passages (random sentences score ~18). Targets: R-1 >= 30,
query-novel R-1 >= 17. Also the share of quoted sentences whose `span` points at
their words in the verbatim passage (what the page and widget highlight). "Words from gold turns": the
share of an answer's quoted words in sentences from the query's annotated relevant turns (a sentence
counts when half its word 4-grams occur there), averaged over answers; "first from gold": the share of
answers whose first quoted sentence is one (targets: >= 0.60 and >= 0.65).
Skips cleanly without the data.

Run: `.venv/bin/python benchmarks/answers_eval.py` (part of `make eval`).
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import percentiles_ms, print_table  # noqa: E402
from benchmarks.qmsum_eval import DATA, four_grams, from_gold, gold_turns, ingested_meetings  # noqa: E402
from kb import KnowledgeBase  # noqa: E402
from kb.answers.markers import MARKER  # noqa: E402
from kb.models import SearchFilters  # noqa: E402


def novel_text(text: str, question: str, stop: set[str]) -> str:
    asked = set(re.findall(r"\w+", question.lower()))
    return " ".join(w for w in re.findall(r"\w+", text.lower()) if w not in stop and w not in asked)


def bm25_sentences(kb: KnowledgeBase, question: str, filters: SearchFilters, max_words: int) -> list[str]:
    """The baseline: the same pooled passages' sentences ranked by BM25 against the question, best first up to max_words."""
    import logging

    import bm25s

    from kb.answers.asker import ASK_POOL
    from kb.answers.units import split_passage
    from kb.bm25.tokens import tokenize

    sentences = [s.text for p in kb.search(question, top_k=5 * ASK_POOL, filters=filters).results for s in split_passage(p)]
    if not sentences:
        return []
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index it builds
    retriever = bm25s.BM25()
    retriever.index(tokenize(sentences), show_progress=False)
    query = [t for t in tokenize([question])[0] if t in retriever.vocab_dict]
    scores = retriever.get_scores(query) if query else [0.0] * len(sentences)
    chosen, used = [], 0
    for index in sorted(range(len(sentences)), key=lambda i: -scores[i]):
        words = len(sentences[index].split())
        if used + words <= max_words:
            chosen.append(sentences[index])
            used += words
    return chosen


def evaluate(kb: KnowledgeBase, meetings: dict[str, dict], max_words: int = 100, baseline: bool = False) -> dict[str, float]:
    from bm25s.stopwords import STOPWORDS_EN
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    novel_scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    stop = set(STOPWORDS_EN)
    totals: dict[str, list[float]] = {
        key: [] for key in ("rouge1", "rouge2", "rougeLsum", "novel_rouge1", "words", "answered", "located", "gold_words", "gold_first")
    }
    latencies = []
    for name, meeting in meetings.items():
        turns = meeting["meeting_transcripts"]
        for query in meeting["specific_query_list"]:
            filters = SearchFilters(doc_id=f"{name}.txt")
            started = time.perf_counter()
            if baseline:
                quoted = bm25_sentences(kb, query["query"], filters, max_words)
                answer, answered = " ".join(quoted), True
            else:
                response = kb.ask(query["query"], filters=filters, max_words=max_words)
                answer, answered = (MARKER.sub("", response.answer) if response.answered else ""), response.answered
                quoted = [q.text for p in response.citations for q in p.quotes] if response.answered else []  # in the answer's order
                totals["located"] += [float(located(p.text, q.text, q.span)) for p in response.citations for q in p.quotes]
            latencies.append(time.perf_counter() - started)
            gold = set().union(*(four_grams(turns[i]["content"]) for i in gold_turns(query, turns)))
            if quoted and gold:
                from_turns = [from_gold(sentence, gold) for sentence in quoted]
                words = [len(sentence.split()) for sentence in quoted]
                totals["gold_words"].append(sum(w for w, g in zip(words, from_turns) if g) / sum(words))
                totals["gold_first"].append(float(from_turns[0]))
            scores = scorer.score(query["answer"], answer)
            for key in ("rouge1", "rouge2", "rougeLsum"):
                totals[key].append(scores[key].fmeasure)
            novel = novel_scorer.score(novel_text(query["answer"], query["query"], stop), novel_text(answer, query["query"], stop))
            totals["novel_rouge1"].append(novel["rouge1"].fmeasure)
            totals["words"].append(len(answer.split()))
            totals["answered"].append(float(answered))
    result = {key: statistics.mean(values) if values else float("nan") for key, values in totals.items()}
    result["p50_ms"], result["p95_ms"] = percentiles_ms(latencies)
    return result


def located(text: str, quote: str, span: list[int] | None) -> bool:
    """Whether the span holds the quote's words, in order from its first to its last (cleaning drops, never adds)."""
    if not span:
        return False
    shown, said = WORDS.findall(text[span[0] : span[1]].casefold()), WORDS.findall(quote.casefold())
    return bool(said) and shown[:1] == said[:1] and shown[-1:] == said[-1:] and set(said) <= set(shown)


WORDS = re.compile(r"\w+")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="val", choices=["val", "tune"], help="tune: the QMSum train meetings the reader did not learn from")
    split = parser.parse_args().split
    if not DATA.is_dir():
        print(f"QMSum answers: {DATA} not found; skipped.")
        return
    rows, quotes_located = [], float("nan")
    with ingested_meetings(split) as (meetings, kb):
        reader = kb.reader  # the shipped reader (KB_READER), tried in answers whether or not KB_READER_ANSWERS is on
        runs = [
            ("kb ask, reader (KB_READER_ANSWERS)", False, reader),
            ("kb ask, hand-tuned score (default)", False, None),
            ("BM25 sentence selection", True, None),
        ]
        for label, baseline, reading in runs if reader is not None else runs[1:]:
            kb.composer.reader = reading  # the same composer, with or without its reader
            r = evaluate(kb, meetings, baseline=baseline)
            if not baseline and reading is reader:
                quotes_located = r["located"]
            rows.append(
                [
                    label,
                    f"{100 * r['rouge1']:.1f}",
                    f"{100 * r['rouge2']:.1f}",
                    f"{100 * r['rougeLsum']:.1f}",
                    f"{100 * r['novel_rouge1']:.1f}",
                    f"{r['gold_words']:.2f}",
                    f"{r['gold_first']:.2f}",
                    f"{r['words']:.0f}",
                    f"{r['answered']:.2f}",
                    f"{r['p50_ms']:.0f}",
                    f"{r['p95_ms']:.0f}",
                ]
            )
    print_table(
        f"QMSum {split} answers, max_words 100 (targets: R-1 >= 30, query-novel R-1 >= 17; random sentences ~18; "
        "words from gold turns >= 0.60, first from gold >= 0.65)",
        [
            "answers by",
            "R-1",
            "R-2",
            "R-Lsum",
            "query-novel R-1",
            "words from gold turns",
            "first from gold",
            "mean words",
            "answered",
            "p50 ms",
            "p95 ms",
        ],
        rows,
    )
    print(f"Quoted sentences located in their verbatim passage (span holds their words): {100 * quotes_located:.1f}%")


if __name__ == "__main__":
    main()
