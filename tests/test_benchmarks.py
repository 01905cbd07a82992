"""Every documented benchmark command runs to its table, at tiny sizes (`make scale` once crashed at its first
step for weeks unnoticed: a benchmark nobody runs breaks silently).

The scripts run as the Makefile runs them, on a tiny copy of ../shared/eval
(PANEL_KB_EVAL_DIR: two meetings per QMSum split, a SciFact slice) and tiny store
sizes; what is checked is that each finishes and prints its tables, not its figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
EVAL = REPO.parent / "shared" / "eval"
PYTHON = sys.executable


@pytest.fixture(scope="module")
def tiny_eval(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two meetings of each QMSum split and 40 SciFact queries with their abstracts plus 200 others."""
    if not (EVAL / "qmsum-val").is_dir() or not (EVAL / "scifact").is_dir():
        pytest.skip("../shared/eval is absent")
    tiny = tmp_path_factory.mktemp("tiny-eval")
    for split in ("train", "val"):
        (tiny / f"qmsum-{split}").mkdir()
        for path in sorted((EVAL / f"qmsum-{split}").glob("*.json"))[:2]:
            shutil.copy(path, tiny / f"qmsum-{split}" / path.name)
    (tiny / "scifact" / "qrels").mkdir(parents=True)
    rows = (EVAL / "scifact" / "qrels" / "train.tsv").read_text().splitlines()
    queries = list(dict.fromkeys(row.split("\t")[0] for row in rows[1:]))[:40]
    kept_rows = [row for row in rows[1:] if row.split("\t")[0] in queries]
    (tiny / "scifact" / "qrels" / "train.tsv").write_text("\n".join([rows[0], *kept_rows]) + "\n")
    wanted = {row.split("\t")[1] for row in kept_rows}
    corpus = (EVAL / "scifact" / "corpus.jsonl").read_text().splitlines()
    kept = [line for line in corpus if json.loads(line)["_id"] in wanted] + corpus[:200]
    (tiny / "scifact" / "corpus.jsonl").write_text("\n".join(dict.fromkeys(kept)) + "\n")
    lines = (EVAL / "scifact" / "queries.jsonl").read_text().splitlines()
    (tiny / "scifact" / "queries.jsonl").write_text("\n".join(line for line in lines if json.loads(line)["_id"] in queries) + "\n")
    shutil.copy(EVAL / "scifact" / "claims_train_evidence.jsonl", tiny / "scifact" / "claims_train_evidence.jsonl")
    return tiny


def _run(script: str, *args: str, eval_dir: Path | None = None, timeout: int = 600) -> str:
    env = {**os.environ, **({"PANEL_KB_EVAL_DIR": str(eval_dir)} if eval_dir else {})}
    result = subprocess.run([PYTHON, f"benchmarks/{script}", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{script}: {result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.parametrize(
    ("script", "args", "table"),
    [
        ("qmsum_eval.py", (), "within-meeting search"),
        ("scifact_eval.py", (), "nDCG@10"),
        ("answers_eval.py", (), "gold"),
        ("reader_eval.py", ("--quick",), "dropped"),
        ("calibrate_verification.py", (), "let through"),
    ],
)
def test_each_eval_script_prints_its_table_on_a_tiny_copy(tiny_eval: Path, script: str, args: tuple[str, ...], table: str) -> None:
    out = _run(script, *args, eval_dir=tiny_eval)
    assert table in out and "skipped" not in out, out[-2000:]


def test_make_bench_runs_small() -> None:
    out = _run("ingest_throughput.py", "--synthetic-passages", "300", "--embed-passages", "100")
    assert "passages/s" in out or "p/s" in out, out[-2000:]


def test_make_scale_runs_small(tmp_path: Path) -> None:
    """The whole of `make scale` (ingest, floor, HTTP latency, memory, throughput, Chroma server mode,
    llama-index comparison) at 300 and 600 passages."""
    if shutil.which("chroma", path=str(Path(PYTHON).parent)) is None:
        pytest.fail("the `chroma` command is missing: pip install -e '.[test]'")
    out = _run("scale.py", "--sizes", "300,600", "--seconds", "2", "--clients", "2", "--work", str(tmp_path / "scale"), timeout=900)
    for title in (
        "kb ingest vs raw embedding",
        "Query latency over HTTP",
        "Peak memory",
        "Backup and restore",
        "Throughput",
        "Server mode",
        "llama-index",
    ):
        assert title in out, out[-3000:]


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is missing: `make speech` installs it")
def test_audio_eval_prints_wer_and_real_time_factor() -> None:
    pytest.importorskip("faster_whisper", reason="the audio extra is missing")
    out = _run("audio_eval.py", "--minutes", "0.5")
    rows = [line.split() for line in out.splitlines() if line.startswith(("panel", "long-panel"))]
    assert [row[0] for row in rows] == ["panel.wav", "panel.mp3", "panel.mp4", "long-panel.mp3"]
    assert all(float(row[3]) < 1.0 and float(row[4]) < 0.3 for row in rows), out  # faster than real time; most words right
