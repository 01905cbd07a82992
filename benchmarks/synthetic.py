"""A synthetic transcript corpus of any size, from a fixed seed.

Sentences are drawn from our own bundled corpus and reassembled into new panel
turns by new speakers, so the text has real vocabulary and rhythm without
being a copy of any one document.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
FIRST = [
    "Maya",
    "Daniel",
    "Priya",
    "Jonas",
    "Tomás",
    "Grace",
    "Kwame",
    "Elena",
    "Rachel",
    "Arjun",
    "Sofia",
    "Marcus",
    "Hannah",
    "Leo",
    "Amara",
    "Ben",
    "Nadia",
    "Oliver",
    "Lucía",
    "Sam",
    "Chloe",
    "Ravi",
    "Ingrid",
    "Femi",
    "Isabel",
    "Victor",
    "Zainab",
    "Peter",
]
LAST = [
    "Chen",
    "Okafor",
    "Raman",
    "Weber",
    "Alvarez",
    "Liu",
    "Mensah",
    "Petrova",
    "Kim",
    "Mehta",
    "Lindqvist",
    "Bell",
    "Osei",
    "Fischer",
    "Nwosu",
    "Carter",
    "Haddad",
    "Grant",
    "Romero",
    "Whitfield",
]


def corpus_sentences() -> list[str]:
    sentences: list[str] = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in {".md", ".txt"}:
            continue
        text = re.sub(r"^---.*?---", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"\[\d\d:\d\d:\d\d\]\s*", "", text)
        text = re.sub(r"^[A-Z][\w.' ]{0,40}:\s", "", text, flags=re.M)
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            sentence = " ".join(sentence.split())
            if 6 <= len(sentence.split()) <= 45 and not sentence.startswith("#"):
                sentences.append(sentence)
    return sentences


def write_transcripts(
    folder: Path, files: int, turns_per_file: int, seed: int = 7, rare_words: list[str] | None = None, prefix: str = "panel-"
) -> list[Path]:
    """Speaker-labelled transcripts with timestamps: 3-5 speakers, turns of 1-6 sentences.

    With `rare_words`, half the turns also name two of them, drawn with a
    Zipf-like skew, so a large set has a long vocabulary tail as real archives do.
    """
    rng = random.Random(seed)
    pool = corpus_sentences()
    tail = list(rare_words or [])
    rng.shuffle(tail)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(files):
        speakers = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(3, 5))]
        clock = 0
        lines = ["---", f'title: "Synthetic panel {index:04d}"', "kind: transcript", "---", ""]
        for _ in range(turns_per_file):
            clock += rng.randint(5, 90)
            text = " ".join(rng.choice(pool) for _ in range(rng.choice([1, 1, 2, 3, 4, 6])))
            if tail and rng.random() < 0.5:
                a, b = (tail[int(len(tail) * rng.random() ** 3)] for _ in range(2))
                text += f" Especially the {a} and {b} part."
            lines.append(f"[{clock // 3600:02d}:{clock % 3600 // 60:02d}:{clock % 60:02d}] {rng.choice(speakers)}: {text}")
        path = folder / f"{prefix}{index:04d}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
