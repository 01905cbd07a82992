"""Verification on a fabricated set: does a generated sentence the passage does not back get dropped?

Built from QMSum val (never trained on) by rules the reader did NOT see in training
(benchmarks/reader_data.py has the training rules; these differ in words and in shape). Each reference-answer
sentence (6+ words) backed by its annotated turns (BACKED: most of its content words are said there) is cited
against the two ~200-word windows of those turns it shares most words with, as a model would cite them; it
should be kept. Each fabricated version of it should be dropped:

- reversed: a word swapped for its opposite from HELD_OUT_OPPOSITES (no word of TRAIN_OPPOSITES), or "never"
  put before the first auxiliary or past-tense verb (training negates with "not");
- number in words: a number in the sentence changed to another written in words, or "for the first eighteen
  months" put in front of it (training changes digits only);
- wrong name: the sentence given to a speaker of the meeting who does not speak in the window — at the start
  ("X: ..."), after a colon, in parentheses, or in lower case;
- wrong panelist, no "said": "In X's view, ..." for a speaker who does speak in the window but is not the one
  whose sentence backs it;
- appended clause: one of HELD_OUT_CLAUSES added to the end (training appends other clauses);
- fake quote: words in single or curly quotes the passage never holds, put in someone's mouth.

Printed: per kind, the share dropped (target >= 0.90 over all) and the share of reference sentences kept
(target >= 0.75), for verification with the reader (when one ships, or `--adapters` names one) and without.
Also the share kept per reader threshold, so SUPPORT_MIN can be read off. Skips cleanly without the data.

Run: `.venv/bin/python benchmarks/reader_eval.py` (part of `make eval`).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import EVAL_DIR, print_table  # noqa: E402
from benchmarks.qmsum_eval import gold_turns  # noqa: E402

SEED = 29
WINDOW_WORDS = 200
PER_KIND = 120  # fabricated sentences per kind at most
CITED = 2  # windows of the gold turns a sentence cites: the two sharing most words with it
BACKED = 0.6  # a reference sentence counts as backed by its gold turns when this share of its content words is there
REFERENCES = 400  # reference sentences at most
HELD_OUT_OPPOSITES = {
    "positive": "negative",
    "negative": "positive",
    "new": "old",
    "many": "few",
    "large": "small",
    "big": "small",
    "small": "large",
    "useful": "useless",
    "possible": "impossible",
    "similar": "different",
    "same": "different",
    "right": "wrong",
    "better": "worse",
    "best": "worst",
    "early": "late",
    "simple": "complicated",
    "fast": "slow",
    "slow": "fast",
    "all": "none of the",
    "should": "should never",
    "need": "never need",
    "needed": "never needed",
    "want": "refuse",
    "wanted": "refused",
}
HELD_OUT_CLAUSES = [
    ", and the client has already approved the final budget",
    ", since the competitor launched the same product last month",
    ", a choice the marketing department later overturned",
    ", even though the engineers had warned it would fail",
    ", so the whole project was cancelled the next week",
]
FAKE_QUOTES = [
    ", calling it ‘the worst idea anyone has had this year’",
    ", in their words 'a complete waste of everyone's time'",
    ", saying it was 'far too risky to ever ship'",
]
NUMBER_WORDS = ["two", "three", "four", "seven", "eight", "eleven", "fifteen", "eighteen", "forty", "ninety"]
_AUX_OR_PAST = re.compile(r"\b(is|are|was|were|can|could|would|will|has|have|had|\w{3,}ed)\b")
_NUMBER = re.compile(r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|hundred)\b", re.IGNORECASE)


def reverse(sentence: str, rng: random.Random) -> str | None:
    words = sentence.split(" ")
    for i, word in enumerate(words):
        bare = word.strip(".,;:!?").lower()
        if bare in HELD_OUT_OPPOSITES and word.strip(".,;:!?") == bare:
            words[i] = word.replace(bare, HELD_OUT_OPPOSITES[bare])
            return " ".join(words)
    match = _AUX_OR_PAST.search(sentence, 1)
    if match is None:
        return None
    verb = match.group(1)
    replaced = f"{verb} never" if not verb.endswith("ed") else f"never {verb}"
    return sentence[: match.start()] + replaced + sentence[match.end() :]


def renumber(sentence: str, rng: random.Random) -> str:
    match = _NUMBER.search(sentence)
    if match is None:
        return "For the first eighteen months, " + sentence[0].lower() + sentence[1:]
    choices = [w for w in NUMBER_WORDS if w != match.group(0).lower()]
    return sentence[: match.start()] + rng.choice(choices) + sentence[match.end() :]


def wrong_name(sentence: str, stranger: str, rng: random.Random) -> str:
    body = sentence.rstrip(".")
    shape = rng.randrange(4)
    if shape == 0:
        return f"{stranger}: {body[0].lower()}{body[1:]}."
    if shape == 1:
        return f"One point came from {stranger}: {body[0].lower()}{body[1:]}."
    if shape == 2:
        return f"{body} ({stranger})."
    return f"According to {stranger.lower()}, {body[0].lower()}{body[1:]}."


def write_window(turns: list[dict], first: int, last: int) -> tuple[str, list[str]]:
    from kb.text.sentences import clean_spoken

    lines = [f"{turns[i]['speaker']}: {clean_spoken(' '.join(turns[i]['content'].split()))}" for i in range(first, last + 1)]
    return "\n".join(line for line in lines if not line.endswith(": ")), sorted({turns[i]["speaker"] for i in range(first, last + 1)})


def windows(turns: list[dict]) -> list[tuple[int, int]]:
    """(first, last) turn of consecutive ~WINDOW_WORDS-word stretches, as ingest cuts transcripts."""
    out, first, words = [], 0, 0
    for index, turn in enumerate(turns):
        words += len(turn["content"].split())
        if words >= WINDOW_WORDS:
            out.append((first, index))
            first, words = index + 1, 0
    if first < len(turns):
        out.append((first, len(turns) - 1))
    return out


def shared_words(words: set[str], turns: list[dict], window: tuple[int, int]) -> int:
    return len(words & set(re.findall(r"\w+", " ".join(t["content"] for t in turns[window[0] : window[1] + 1]).lower())))


def backed(words: set[str], gold_text: str) -> bool:
    """Are most of the sentence's content words (4+ letters) in its gold turns? Annotators' summaries also say
    what no turn says ("the meeting went well"); those are no test of a verifier."""
    content = {w for w in words if len(w) > 3}
    said = set(re.findall(r"\w+", gold_text.lower()))
    return bool(content) and len(content & said) >= BACKED * len(content)


def cases(rng: random.Random) -> list[dict]:
    """Reference sentences with the passage they rest on, and fabricated versions of them, labelled by kind."""
    from kb.models import Passage
    from kb.text.sentences import split_sentences

    found: list[dict] = []
    for path in sorted((EVAL_DIR / "qmsum-val").glob("*.json")):
        meeting = json.loads(path.read_text())
        turns = meeting["meeting_transcripts"]
        everyone = sorted({t["speaker"] for t in turns})
        cut = windows(turns)
        for query in meeting["specific_query_list"]:
            gold = set(gold_turns(query, turns))
            inside = [w for w in cut if any(w[0] <= i <= w[1] for i in gold)]
            for sentence in split_sentences(query["answer"]):
                if len(sentence.split()) < 6 or not inside:
                    continue
                words = set(re.findall(r"\w+", sentence.lower()))
                if not backed(words, " ".join(turns[i]["content"] for i in gold)):
                    continue
                passages = []
                closest = sorted(inside, key=lambda w: shared_words(words, turns, w), reverse=True)[:CITED]  # noqa: B023 (used at once)
                for n, (first, last) in enumerate(closest, start=1):
                    text, speakers = write_window(turns, first, last)
                    passages.append(
                        Passage(
                            n=n,
                            text=text,
                            score=1.0,
                            doc_id=path.stem,
                            title=path.stem,
                            kind="transcript",
                            source=path.name,
                            speakers=speakers,
                            chunk_id=f"{path.stem}-{first}",
                        )
                    )
                speakers = sorted({s for p in passages for s in p.speakers})
                strangers = [s for s in everyone if s not in speakers]
                others = [s for s in speakers if s.lower() not in sentence.lower()]
                versions = {
                    "reference": sentence,
                    "reversed": reverse(sentence, rng),
                    "number in words": renumber(sentence, rng),
                    "wrong name": wrong_name(sentence, rng.choice(strangers), rng) if strangers else None,
                    "wrong panelist, no said": f"In {rng.choice(others)}'s view, {sentence[0].lower()}{sentence[1:]}" if others else None,
                    "appended clause": sentence.rstrip(".") + rng.choice(HELD_OUT_CLAUSES) + ".",
                    "fake quote": sentence.rstrip(".") + rng.choice(FAKE_QUOTES) + ".",
                }
                for kind, version in versions.items():
                    if version and (kind == "reference" or version != sentence):
                        found.append({"kind": kind, "sentence": version, "passages": passages})
    rng.shuffle(found)
    kept: list[dict] = []
    counts: dict[str, int] = defaultdict(int)
    for case in found:
        limit = REFERENCES if case["kind"] == "reference" else PER_KIND
        if counts[case["kind"]] < limit:
            kept.append(case)
            counts[case["kind"]] += 1
    return kept


def judge(found: list[dict], reader) -> list[dict]:
    """Each case through the product's Verifier (thresholds at 0 where the grid reads them later)."""
    from kb import Settings
    from kb.answers.verification import Verifier
    from kb.bm25.postings import Rows, SparseRow
    from kb.bm25.term_weights import TermWeights
    from kb.bm25.tokens import tokenize
    from kb.embedding import get_embedder

    rows = Rows()  # the idf of every window of the val meetings, as a store holding them would have
    for path in sorted((EVAL_DIR / "qmsum-val").glob("*.json")):
        turns = json.loads(path.read_text())["meeting_transcripts"]
        for first, last in windows(turns):
            rows.add(SparseRow(f"{path.stem}-{first}", tokenize([write_window(turns, first, last)[0]])[0], path.stem, "transcript"))
    embedder = get_embedder(Settings())
    store_speakers = sorted(  # everyone who speaks in any val meeting, as a store holding them all would name them
        {t["speaker"] for path in sorted((EVAL_DIR / "qmsum-val").glob("*.json")) for t in json.loads(path.read_text())["meeting_transcripts"]}
    )
    verifier = Verifier(embedder.embed, TermWeights(lambda: rows), lambda: store_speakers, reader=reader)
    results = []
    for case in found:
        markers = "".join(f"[{p.n}]" for p in case["passages"])
        checked = verifier.check(f"{case['sentence']} {markers}", case["passages"])
        item = checked[0] if len(checked) == 1 else None
        results.append({**case, "checked": item, "all": checked})
    return results


def shares(results: list[dict]) -> dict[str, tuple[int, float]]:
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        kept = all(c.kept for c in r["all"]) and bool(r["all"])
        by_kind[r["kind"]].append(kept)
    return {kind: (len(v), float(np.mean(v))) for kind, v in sorted(by_kind.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adapters", type=Path, default=None, help="a reader .npz to judge with (default: the shipped one)")
    parser.add_argument("--quick", action="store_true", help="a quarter of the sentences (a first look)")
    args = parser.parse_args()
    if not (EVAL_DIR / "qmsum-val").is_dir():
        print("QMSum data not found under ../shared/eval: skipped")
        return
    from kb import Settings
    from kb.reader.build import ADAPTERS, reader_model_dir
    from kb.reader.reader import Reader

    found = cases(random.Random(SEED))
    if args.quick:
        found = found[: len(found) // 4]
    columns = {"without the reader": judge(found, None)}
    adapters = args.adapters or (ADAPTERS if ADAPTERS.is_file() else None)
    if adapters is not None:
        columns["with the reader"] = judge(found, Reader(reader_model_dir(Settings().model_cache, adapters)))
    measured = {name: shares(results) for name, results in columns.items()}
    kinds = list(next(iter(measured.values())))
    rows = []
    for kind in kinds:
        verb = "kept" if kind == "reference" else "dropped"
        cells = []
        for values in measured.values():
            count, kept = values[kind]
            cells.append(f"{kept if kind == 'reference' else 1 - kept:.2f}")
        rows.append([kind, verb, count, *cells])
    fabricated = {name: [1 - v[1] for k, v in values.items() if k != "reference" for _ in range(v[0])] for name, values in measured.items()}
    made_up = sum(count for kind, (count, _) in next(iter(measured.values())).items() if kind != "reference")
    rows.append(["all fabricated", "dropped", made_up, *(f"{np.mean(v):.2f}" for v in fabricated.values())])
    print_table(
        "Verification on QMSum val: references kept (target >= 0.75), fabricated dropped (target >= 0.90)", ["sentences", "", "n", *measured], rows
    )
    for name, results in columns.items():
        reasons = Counter(re.split(r" \(|,| [A-Z]", c.reason)[0] for r in results if r["kind"] == "reference" for c in r["all"] if c.reason)
        print_table(f"Why reference sentences were dropped, {name}", ["reason", "sentences"], reasons.most_common(8))
    if "with the reader" in columns:
        grid(columns["with the reader"])


def grid(results: list[dict]) -> None:
    """Kept shares if SUPPORT_MIN were each value (the other rules as shipped)."""
    from kb.answers.verification import SUPPORT_MIN

    rows = []
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        kept: dict[str, list[bool]] = defaultdict(list)
        for r in results:
            ok = bool(r["all"]) and all(
                (c.reason is None or "(reader:" in c.reason) and c.verdict is not None and c.verdict[0] >= threshold for c in r["all"]
            )
            kept[r["kind"] == "reference"].append(ok)
        rows.append([threshold, f"{np.mean(kept[True]):.2f}", f"{1 - np.mean(kept[False]):.2f}", "<- shipped" if threshold == SUPPORT_MIN else ""])
    print_table("The reader's support threshold", ["P(support) >=", "references kept", "fabricated dropped", ""], rows)


if __name__ == "__main__":
    main()
