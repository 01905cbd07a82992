"""Hostile files: each gets a one-line error naming the file and the fix; good files still go in;
what was stored before stays exactly as it was. Through the real `kb` command and the real API."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import KB_COMMAND, ingest_into, kb_env, passage_ids_by_doc, write
from hostile_files import GOOD_TURNS, write_hostile_folder, write_many_tiny_files

from kb import KnowledgeBase, Settings


def _kb(data: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([KB_COMMAND, *args], env=kb_env(data, COLUMNS="200"), capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def stored(small_corpus: Path, tmp_path: Path) -> Path:
    data = tmp_path / "hostile-kb"
    ingest_into(data, [small_corpus])
    return data


def test_hostile_folder_fails_file_by_file_and_keeps_the_store(stored: Path, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    cases = write_hostile_folder(folder)
    write(folder / "good" / "panel.txt", GOOD_TURNS)
    write(folder / "good" / "essay.md", "# Writing\n\nStaff engineers write to scale their judgement.\n")
    assert len(cases) >= 25
    before = passage_ids_by_doc(stored)

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
            assert ":" in error and any(
                word in error for word in ("remove", "fix", "use", "save", "run", "split", "convert", "check", "re-export", "add", "keep")
            ), (case.name, error)
    assert files["good/panel.txt"]["status"] == files["good/essay.md"]["status"] == "added"

    after = passage_ids_by_doc(stored)
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
    before = passage_ids_by_doc(stored)
    server = serve(stored)
    for case in cases:
        response = httpx.post(f"{server.url}/v1/documents", files={"file": (Path(case.name).name, (folder / case.name).read_bytes())}, timeout=120)
        assert response.status_code in (413, 422), (case.name, response.text)
        body = response.json()
        assert set(body) == {"error"} and "\n" not in body["error"]["message"], case.name
    assert httpx.get(f"{server.url}/v1/health").json()["documents"] == len(before)
    server.stop()
    assert passage_ids_by_doc(stored) == before


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
