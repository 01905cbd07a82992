"""schemathesis against our own /openapi.json, through a real server: no 5xx, every answer as documented.

Two runs over every operation (examples, coverage, fuzzing and stateful phases,
all checks): one with the write key, one without it. tests/schemathesis.toml
holds the settings. Reproduce a failure by hand with the `st replay` line it prints.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ingest_into

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


def _run(url: str, workdir: Path, *headers: str) -> int:
    """One schemathesis run; it keeps a cache in its working folder, so it runs in the test's temp folder."""
    args = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--continue-on-failure",
        "--seed",
        "20261128",
    ]
    for header in headers:
        args += ["-H", header]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=workdir)
    tail = result.stdout[-6000:]
    assert result.returncode == 0, tail
    generated = re.search(r"(\d+) generated, (\d+) passed", tail)
    assert generated and generated.group(1) == generated.group(2), tail
    return int(generated.group(1))


@pytest.mark.slow
def test_schemathesis_finds_no_failures_with_and_without_the_key(small_corpus: Path, tmp_path: Path, serve) -> None:
    if not SCHEMATHESIS.exists():
        pytest.fail("schemathesis is missing: pip install -e '.[test]'")
    data = tmp_path / "fuzz-kb"
    ingest_into(data, [small_corpus])
    server = serve(data, KB_API_KEY="fuzz-key", KB_RATE_LIMIT="0", KB_MAX_UPLOAD_MB="1")
    cases = _run(server.url, tmp_path, "Authorization: Bearer fuzz-key") + _run(server.url, tmp_path)
    print(f"schemathesis: {cases} cases, 0 failures")
    assert cases >= 1000, cases
    assert "fuzz-key" not in server.log.read_text()  # the key never reaches the logs
