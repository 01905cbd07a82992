"""Hostile files: each gets a one-line error naming the file and the fix; good files still go in;
what was stored before stays exactly as it was. Through the real `kb` command and the real API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import write
from hostile_files import GOOD_TURNS, write_hostile_folder, write_many_tiny_files
from ingest import ingest_paths
from kb import KnowledgeBase, Settings

KB = str(Path(sys.executable).parent / "kb")


def _kb(data: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_") or k == "KB_MODEL_CACHE"}
    env.update({"KB_DATA_DIR": str(data), "COLUMNS": "200"})
    return subprocess.run([KB, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _snapshot(data: Path) -> dict[str, list[str]]:
    kb = KnowledgeBase(Settings(data_dir=data))
    return {doc.doc_id: sorted(kb.store.passage_ids(doc.doc_id)) for doc in kb.documents()}


@pytest.fixture
def stored(small_corpus: Path, tmp_path: Path) -> Path:
    data = tmp_path / "hostile-kb"
    ingest_paths([small_corpus], KnowledgeBase(Settings(data_dir=data)))
    return data


def test_hostile_folder_fails_file_by_file_and_keeps_the_store(stored: Path, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    cases = write_hostile_folder(folder)
    write(folder / "good" / "panel.txt", GOOD_TURNS)
    write(folder / "good" / "essay.md", "# Writing\n\nStaff engineers write to scale their judgement.\n")
    assert len(cases) >= 25
    before = _snapshot(stored)

    started = time.monotonic()
    result = _kb(stored, "ingest", str(folder), "--json")
    assert time.monotonic() - started < 240  # no hang on pipes or link loops
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    files = {f["doc_id"]: f for f in json.loads(result.stdout)["files"]}
    for case in cases:
        if case.expect == "skipped":
            assert case.name not in files
            continue
        report = files[case.name]
        assert report["status"] == case.expect, (case.name, report)
        if case.expect == "failed":
            error = report["error"]
            assert case.reason.lower() in error.lower(), (case.name, error)
            assert "\n" not in error and len(error) < 600, (case.name, error)
            assert ":" in error and any(word in error for word in ("remove", "fix", "use", "save", "run", "split", "convert", "check", "re-export", "add", "keep")), (case.name, error)
    assert files["good/panel.txt"]["status"] == files["good/essay.md"]["status"] == "added"

    after = _snapshot(stored)
    assert {k: after[k] for k in before} == before  # nothing stored before was touched
    assert set(after) - set(before) == {name for name, f in files.items() if f["status"] == "added"}

    human = _kb(stored, "ingest", str(folder))  # the same run for a person: a table, one line per problem
    assert human.returncode == 1 and "Traceback" not in human.stdout + human.stderr
    shown = human.stdout + human.stderr
    for case in cases:
        if case.expect == "failed":
            assert case.name.split("/")[-1][:20] in shown, case.name


def test_hostile_uploads_get_contract_errors_and_change_nothing(stored: Path, tmp_path: Path, serve) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    cases = [c for c in write_hostile_folder(folder, big_line_mb=30) if c.expect == "failed" and (folder / c.name).is_file()]
    before = _snapshot(stored)
    server = serve(stored)
    for case in cases:
        response = httpx.post(f"{server.url}/v1/documents", files={"file": (Path(case.name).name, (folder / case.name).read_bytes())}, timeout=120)
        assert response.status_code in (413, 422), (case.name, response.text)
        body = response.json()
        assert set(body) == {"error"} and "\n" not in body["error"]["message"], case.name
    assert httpx.get(f"{server.url}/v1/health").json()["documents"] == len(before)
    server.stop()
    assert _snapshot(stored) == before


@pytest.mark.slow
def test_ten_thousand_tiny_files(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    write_many_tiny_files(folder, 10_000)
    data = tmp_path / "tiny-kb"
    result = _kb(data, "ingest", str(folder), "--json", timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert (report["added"], report["failed"], report["passages"]) == (10_000, 0, 10_000)
    again = json.loads(_kb(data, "ingest", str(folder), "--json", timeout=900).stdout)
    assert again["unchanged"] == 10_000 and again["added"] == 0
    kb = KnowledgeBase(Settings(data_dir=data))
    hit = kb.search("mentoring tip number 4242", top_k=3).results
    assert any(p.doc_id == "batch-04/note-04242.txt" for p in hit)
