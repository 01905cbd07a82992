"""SIGKILL `kb ingest` at random moments; the next ingest must converge to exactly what a clean run stores.

Rounds alternate between two versions of the corpus (B edits every Markdown file,
drops one file and adds another; both runs use --prune), so kills land in first
ingests, in updates and in deletions. After each kill, a complete `kb ingest`
must leave the same documents and passage ids as a clean run of that version,
no orphan passages, the keyword index equal to Chroma, and no interrupted-write
flag. CI runs 3 kills; `make crash` runs 20 (PANEL_KB_KILLS).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import CORPUS, KB_COMMAND, kb_env, passage_ids_by_doc

from kb import KnowledgeBase, Settings

KILLS = int(os.environ.get("PANEL_KB_KILLS", "3"))


def _version(folder: Path, variant: str) -> Path:
    """The corpus as it is in version A (as shipped) or B (edited, one file gone, one new)."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(CORPUS, folder)
    if variant == "B":
        for path in sorted(folder.rglob("*.md")):
            path.write_text(path.read_text(encoding="utf-8") + "\n\nAdded in version B: a closing thought on careers.\n", encoding="utf-8")
        (folder / "panels" / "writing-for-engineers.txt").unlink()
        (folder / "essays" / "new-in-b.md").write_text(
            "# New in B\n\nA short essay that exists only in version B, about on-call rotations.\n", encoding="utf-8"
        )
    return folder


def _ingest(data: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [KB_COMMAND, "ingest", str(folder), "--prune"], env=kb_env(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
def test_killed_ingests_converge_to_the_clean_store(tmp_path: Path) -> None:
    # A clean store walks A -> B -> A once, timing each step: the kill rounds make the
    # same steps (after a kill and a complete ingest the store is the clean one again),
    # and an update re-embeds only what changed, so it is much shorter than a first ingest.
    clean: dict[str, dict[str, list[str]]] = {}
    duration: dict[str, float] = {}
    clean_source, clean_data = tmp_path / "clean-src", tmp_path / "clean"
    for step, variant in (("first", "A"), ("A->B", "B"), ("B->A", "A")):
        folder = _version(clean_source, variant)
        started = time.monotonic()
        run = _ingest(clean_data, folder)
        assert run.wait(timeout=300) == 0, run.stderr.read()
        duration[step] = time.monotonic() - started
        stored = passage_ids_by_doc(clean_data)
        assert clean.setdefault(variant, stored) == stored, "going back to version A did not give the first store back"
    # The same folder path every round: --prune keys on the folder a document came from.
    source, data = tmp_path / "src", tmp_path / "kb"
    seed = int(os.environ.get("PANEL_KB_KILL_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    killed = 0
    for round_number in range(KILLS):
        variant = "AB"[round_number % 2]
        step = "first" if round_number == 0 else ("A->B" if variant == "B" else "B->A")
        folder = _version(source, variant)
        moment = rng.uniform(0.3, 0.9 * duration[step])
        run = _ingest(data, folder)
        time.sleep(moment)
        if run.poll() is None:
            run.kill()  # SIGKILL: no cleanup handlers run
            killed += 1
        run.wait(timeout=60)
        finish = _ingest(data, folder)
        assert finish.wait(timeout=300) == 0, f"seed {seed}, round {round_number}: {finish.stderr.read()[-2000:]}"
        assert passage_ids_by_doc(data) == clean[variant], f"seed {seed}, round {round_number}, killed at {moment:.2f} s"
        with KnowledgeBase(Settings(data_dir=data)) as kb:  # closed again: the next round's kb ingest opens the store
            report = kb.doctor()
        assert report.healthy, (seed, round_number, moment, report.findings)
    assert killed >= max(1, KILLS * 2 // 3), f"only {killed} of {KILLS} runs were still going when killed (step times {duration})"
