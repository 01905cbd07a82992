"""Training and validation pairs for the reader (a cross-encoder over question and sentence), from ../shared/eval.

Three tasks, each what the reader is for (not ROUGE against abstractive references):
- answer: does this unit answer this question? QMSum (train / val): the units `ask` itself would
  choose from (the passages a search finds for the query within its meeting, split into quotable
  units), labelled 1 when the unit comes from an annotated relevant turn (half its word 4-grams occur in
  those turns: the measure `make eval` judges answers by), else 0. FriendsQA, split by scene (a stable
  hash of the scene's name: 4 of 5 scenes train, the fifth is held out): the utterance holding an answer
  is 1, the scene's other utterances 0.
- verify: does this premise support this claim, contradict it, or not address it? SciFact train
  rationales (SUPPORT / CONTRADICT; the abstract's other sentences: not addressed), and QMSum reference
  answer sentences against the units of their gold turns they rest on (supported), units of another part
  of the meeting (not addressed), and versions of the sentence made wrong by the TRAINING rules below
  (contradicted or not addressed). `make eval`'s fabricated set uses other rules (benchmarks/reader_eval.py).

Training rules (written down so the held-out rules can differ): negate or un-negate the first auxiliary
verb ("is" <-> "is not", "can" -> "cannot", ...); swap one word for its opposite from TRAIN_OPPOSITES;
change a number written in digits; swap the speaker named for another speaker of the meeting; append a
clause from TRAIN_CLAUSES. Rows are written as JSON lines under benchmarks/results/ (seeded).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import EVAL_DIR, RESULTS_DIR  # noqa: E402
from benchmarks.qmsum_eval import four_grams, from_gold, gold_turns, write_transcripts  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from kb import KnowledgeBase, SearchFilters, Settings  # noqa: E402
from kb.answers.asker import ASK_POOL  # noqa: E402
from kb.answers.units import quotable_units, reader_text  # noqa: E402
from kb.text.sentences import clean_spoken, split_sentences  # noqa: E402

SEED = 13
MAX_POSITIVES, MAX_NEGATIVES = 8, 12  # answer pairs kept per QMSum query
FRIENDS_NEGATIVES = 8
HELD_OUT_SCENES = 5  # one scene in five is held out (by a hash of its name)

_AUX = re.compile(r"\b(is|are|was|were|can|could|should|would|will|does|do|did|has|have|had|must)( not|n't)?\b", re.IGNORECASE)
TRAIN_OPPOSITES = {
    "more": "less",
    "less": "more",
    "increase": "decrease",
    "decrease": "increase",
    "higher": "lower",
    "lower": "higher",
    "agree": "disagree",
    "agreed": "disagreed",
    "good": "bad",
    "easy": "hard",
    "important": "unimportant",
    "before": "after",
    "after": "before",
    "always": "never",
    "cheap": "expensive",
    "expensive": "cheap",
    "accept": "reject",
    "accepted": "rejected",
    "support": "oppose",
    "supported": "opposed",
    "like": "dislike",
    "liked": "disliked",
    "first": "last",
    "success": "failure",
}
TRAIN_CLAUSES = [
    ", and the budget was doubled the following year",
    ", which the whole team later voted against",
    ", although nobody had tested it on real users",
    " because the manager insisted on it",
    ", and this decision was reversed a week later",
]


def units_of_turns(turns: list[dict]) -> list[tuple[int, str, str]]:
    """(turn index, speaker, unit text) for every turn: clean-verbatim sentences joined as answers join them."""
    from kb.answers.units import join_short

    found = []
    for index, turn in enumerate(turns):
        for text in join_short(split_sentences(clean_spoken(" ".join(turn["content"].split())))):
            if len(text.split()) >= 3:
                found.append((index, turn["speaker"], text))
    return found


def qmsum_answer_pairs(split: str, rng: random.Random) -> Iterator[dict]:
    """The units `ask` would choose from for each QMSum query, labelled by the gold turns."""
    meetings = {path.stem: json.loads(path.read_text()) for path in sorted((EVAL_DIR / f"qmsum-{split}").glob("*.json"))}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "meetings"
        folder.mkdir()
        write_transcripts(meetings, folder)
        with KnowledgeBase(Settings(data_dir=Path(tmp) / "kb")) as kb:
            ingest_paths([folder], kb, kind="transcript")
            for name, meeting in meetings.items():
                turns = meeting["meeting_transcripts"]
                for number, query in enumerate(meeting["specific_query_list"]):
                    gold = set().union(*(four_grams(turns[i]["content"]) for i in gold_turns(query, turns)))
                    passages = kb.search(query["query"], top_k=5 * ASK_POOL, filters=SearchFilters(doc_id=f"{name}.txt")).results
                    units = [u for p in passages for u in quotable_units(p)]
                    labelled = [(reader_text(u), int(from_gold(u.text, gold)), u.passage.n) for u in units]
                    positives = [row for row in labelled if row[1]]
                    negatives = [row for row in labelled if not row[1]]
                    if split == "train":  # validation keeps every unit: a query's whole pool is ranked
                        rng.shuffle(positives)
                        rng.shuffle(negatives)
                        positives, negatives = positives[:MAX_POSITIVES], negatives[:MAX_NEGATIVES]
                    group = f"qmsum-{split}/{name}/{number}"
                    for text, label, rank in positives + negatives:
                        yield {"task": "answer", "group": group, "question": query["query"], "text": text, "label": label, "rank": rank}


def friends_split(scene: str) -> str:
    return "heldout" if int(hashlib.sha256(scene.encode()).hexdigest(), 16) % HELD_OUT_SCENES == 0 else "train"


def friends_answer_pairs(split: str, rng: random.Random) -> Iterator[dict]:
    """FriendsQA (dev + test files; 'train' is four scenes in five of them): the utterance that answers, and others."""
    for file in ("friendsqa_dev.json", "friendsqa_tst.json"):
        for scene in json.loads((EVAL_DIR / "friendsqa" / file).read_text())["data"]:
            if friends_split(scene["title"]) != split:
                continue
            for paragraph in scene["paragraphs"]:
                utterances = paragraph["utterances:"]
                texts = [f"{', '.join(u['speakers'])}: {' '.join(u['utterance'].split())}" for u in utterances]
                for qa in paragraph["qas"]:
                    answering = {a["utterance_id"] for a in qa["answers"] if a["utterance_id"] < len(texts)}
                    if not answering:
                        continue
                    others = [i for i in range(len(texts)) if i not in answering]
                    if split == "train":
                        others = rng.sample(others, min(FRIENDS_NEGATIVES, len(others)))
                    group = f"friendsqa-{split}/{qa['id']}"
                    for i in sorted(answering) + others:
                        yield {"task": "answer", "group": group, "question": qa["question"], "text": texts[i], "label": int(i in answering)}


def scifact_verify_pairs(rng: random.Random) -> Iterator[dict]:
    """SciFact train rationales: the evidence supports or contradicts the claim; other sentences do not address it."""
    for line in (EVAL_DIR / "scifact" / "claims_train_evidence.jsonl").read_text().splitlines():
        row = json.loads(line)
        sentences = row["sentences"]
        evidence = [sentences[i] for i in row["evidence"] if i < len(sentences)]
        if not evidence:
            continue
        yield {
            "task": "verify",
            "premise": " ".join(evidence),
            "claim": row["claim"],
            "label": "support" if row["label"] == "SUPPORT" else "contradict",
        }
        rest = [s for i, s in enumerate(sentences) if i not in row["evidence"]]
        if rest:
            yield {"task": "verify", "premise": rng.choice(rest), "claim": row["claim"], "label": "unaddressed"}


def negate(sentence: str) -> str | None:
    """The first auxiliary verb negated ("is" -> "is not") or un-negated ("is not" -> "is")."""
    match = _AUX.search(sentence)
    if match is None:
        return None
    verb, negation = match.group(1), match.group(2)
    replacement = verb if negation else ("cannot" if verb.lower() == "can" else f"{verb} not")
    return sentence[: match.start()] + replacement + sentence[match.end() :]


def oppose(sentence: str) -> str | None:
    words = sentence.split(" ")
    for i, word in enumerate(words):
        bare = word.strip(".,;:!?").lower()
        if bare in TRAIN_OPPOSITES:
            words[i] = word.lower().replace(bare, TRAIN_OPPOSITES[bare])
            return " ".join(words)
    return None


def renumber(sentence: str, rng: random.Random) -> str | None:
    numbers = list(re.finditer(r"\b\d+\b", sentence))
    if not numbers:
        return None
    match = rng.choice(numbers)
    value = int(match.group(0))
    return sentence[: match.start()] + str(value + rng.choice([2, 3, 5, 10]) if value < 1000 else value * 2) + sentence[match.end() :]


def reattribute(sentence: str, speakers: list[str], rng: random.Random) -> str | None:
    named = [s for s in speakers if s in sentence]
    if not named or len(speakers) < 2:
        return None
    speaker = named[0]
    return sentence.replace(speaker, rng.choice([s for s in speakers if s != speaker]), 1)


def qmsum_verify_pairs(split: str, rng: random.Random) -> Iterator[dict]:
    """QMSum reference sentences against their gold turns, another stretch, and wrong versions of themselves."""
    for path in sorted((EVAL_DIR / f"qmsum-{split}").glob("*.json")):
        meeting = json.loads(path.read_text())
        turns = meeting["meeting_transcripts"]
        units = units_of_turns(turns)
        speakers = sorted({t["speaker"] for t in turns})
        for query in meeting["specific_query_list"]:
            gold = set(gold_turns(query, turns))
            inside = [(i, s, t) for i, s, t in units if i in gold]
            outside = [(i, s, t) for i, s, t in units if i not in gold]
            if not inside or not outside:
                continue
            for sentence in split_sentences(query["answer"]):
                if len(sentence.split()) < 6:
                    continue
                premise = _premise(sentence, inside)
                yield {"task": "verify", "premise": premise, "claim": sentence, "label": "support"}
                yield {"task": "verify", "premise": _premise(sentence, outside), "claim": sentence, "label": "unaddressed"}
                for wrong, label in (
                    (negate(sentence), "contradict"),
                    (oppose(sentence), "contradict"),
                    (renumber(sentence, rng), "contradict"),
                    (reattribute(sentence, speakers, rng), "unaddressed"),
                    (sentence.rstrip(".") + rng.choice(TRAIN_CLAUSES) + ".", "unaddressed"),
                ):
                    if wrong and wrong != sentence and rng.random() < 0.5:
                        yield {"task": "verify", "premise": premise, "claim": wrong, "label": label}


def _premise(sentence: str, units: list[tuple[int, str, str]], keep: int = 3) -> str:
    """The units sharing the most words with the sentence, in reading order: what a citation's quote would hold."""
    words = set(re.findall(r"\w+", sentence.lower()))
    best = sorted(units, key=lambda u: -len(words & set(re.findall(r"\w+", u[2].lower()))))[:keep]
    return " ".join(f"{speaker}: {text}" for _, speaker, text in sorted(best))


def write(name: str, rows: Iterator[dict]) -> int:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    count = 0
    with (RESULTS_DIR / f"reader-{name}.jsonl").open("w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
            count += 1
    print(f"reader-{name}.jsonl: {count} rows")
    return count


def main() -> None:
    if not (EVAL_DIR / "qmsum-train").is_dir():
        print(f"{EVAL_DIR} has no QMSum train: nothing to build.")
        return
    rng = random.Random(SEED)
    write("friends-train", friends_answer_pairs("train", rng))
    write("friends-heldout", friends_answer_pairs("heldout", rng))
    write("verify-train", (row for rows in (scifact_verify_pairs(rng), qmsum_verify_pairs("train", rng)) for row in rows))
    write("verify-val", qmsum_verify_pairs("val", rng))
    write("qmsum-val", qmsum_answer_pairs("val", rng))
    write("qmsum-train", qmsum_answer_pairs("train", rng))


if __name__ == "__main__":
    main()
