"""README's "Use it from Python" example runs as written and does what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from kb.contract import FORMATS

ROOT = Path(__file__).resolve().parent.parent


def _example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Use it from Python") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_python_example_ingests_searches_and_answers(tmp_path: Path) -> None:
    env = {**os.environ, "KB_DATA_DIR": str(tmp_path / "store")}
    env.pop("KB_CHROMA_URL", None)
    done = subprocess.run([sys.executable, "-c", _example()], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    readable = sum(1 for path in (ROOT / "corpus").rglob("*") if path.suffix.lower() in FORMATS)
    assert lines[0] == f"{readable} added, 0 updated, 0 unchanged, 0 failed"
    assert re.match(r"1 .+ \d\d:\d\d:\d\d ", lines[1]), lines[1]  # a transcript result: its speaker and time
    assert "[1]" in done.stdout and any(line.startswith("[1] ") for line in lines)
