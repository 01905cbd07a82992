"""A watched drop folder with real files and a real running server: copy, edit, rename, delete, break, copy slowly,
and a watcher killed mid-batch that converges when restarted."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS, KB_COMMAND, _free_port, kb_env, write

pytestmark = pytest.mark.slow
SPONSORS = CORPUS / "panels" / "sponsorship-in-practice.vtt"
MANAGEMENT = CORPUS / "panels" / "management-and-back.srt"


def _eventually(check, seconds: float = 20.0):
    """Poll `check` until it returns something truthy; that value (or the last falsy one, for the assertion)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@pytest.fixture
def watched(tmp_path: Path):
    """`kb serve --watch DROP --prune` on a free port, DROP starting with one transcript."""
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(SPONSORS, drop / "sponsors.vtt")
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [KB_COMMAND, "serve", "--port", str(port), "--watch", str(drop), "--prune"],
            env=kb_env(tmp_path / "data"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            assert _eventually(lambda: _docs(url) == {"sponsors.vtt"}, 60), log.read_text()[-3000:]
            yield drop, url, log
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=40)


def _docs(url: str) -> set[str] | None:
    try:
        return {d["doc_id"] for d in httpx.get(f"{url}/v1/documents", timeout=5).json()["documents"]}
    except (httpx.HTTPError, KeyError, ValueError):
        return None


def _found(url: str, query: str) -> list[str]:
    return [p["doc_id"] for p in httpx.post(f"{url}/v1/search", json={"query": query, "top_k": 3}, timeout=30).json()["results"]]


def test_a_served_drop_folder_follows_every_change(watched) -> None:
    drop, url, log = watched
    shutil.copy(MANAGEMENT, drop / "management.srt")
    # Deadlines are generous (a loaded 2-core CI machine): how soon a drop is searchable is a benchmark's question.
    assert _eventually(lambda: "management.srt" in _found(url, "moving back from management to engineering"), 60)

    (drop / "sponsors.vtt").write_text(SPONSORS.read_text() + "\n99:00:00.000 --> 99:00:05.000\n<v Mei Tanaka>Zeppelin hangars teach patience.\n")
    assert _eventually(lambda: _found(url, "zeppelin hangars")[:1] == ["sponsors.vtt"], 60)

    (drop / "management.srt").rename(drop / "management-renamed.srt")
    assert _eventually(lambda: _docs(url) == {"sponsors.vtt", "management-renamed.srt"}, 60)
    (drop / "management-renamed.srt").unlink()
    assert _eventually(lambda: _docs(url) == {"sponsors.vtt"}, 60)

    write(drop / ".sponsors.vtt.swp", "editor swap file")
    write(drop / "sponsors.vtt~", "editor backup")
    write(drop / "broken.pdf", "%PDF-1.4 not really")
    write(drop / "notes.md", "# Pager notes\n\nOur pager rotation lasts one week per quarter and never two in a row.\n")
    assert _eventually(lambda: "notes.md" in (_docs(url) or set()), 60)
    assert _docs(url) == {"sponsors.vtt", "notes.md"}  # swap and backup files ignored, the broken PDF reported and skipped
    text = _eventually(lambda: "failed broken.pdf" in log.read_text() and log.read_text(), 60)
    assert text and "unreadable PDF" in text and text.count("failed broken.pdf") == 1  # said once, not again each batch


def test_a_slow_copy_is_read_once_it_is_whole(watched, tmp_path: Path) -> None:
    drop, url, _ = watched
    whole = MANAGEMENT.read_bytes()
    with open(drop / "slow.srt", "wb") as out:  # a copy over a slow share: a piece every 0.4 s
        for start in range(0, len(whole), len(whole) // 6 + 1):
            out.write(whole[start : start + len(whole) // 6 + 1])
            out.flush()
            time.sleep(0.4)
    assert _eventually(lambda: "slow.srt" in (_docs(url) or set()), 20)
    documents = {d["doc_id"]: d for d in httpx.get(f"{url}/v1/documents", timeout=5).json()["documents"]}
    reference = subprocess.run([KB_COMMAND, "ingest", str(MANAGEMENT), "--json"], env=kb_env(tmp_path / "reference"), capture_output=True, text=True)
    import json

    assert documents["slow.srt"]["passages"] == json.loads(reference.stdout)["passages"]  # the whole file, not a prefix


def test_a_watcher_killed_mid_batch_converges_when_restarted(tmp_path: Path) -> None:
    drop, data = tmp_path / "drop", tmp_path / "data"
    drop.mkdir()
    watcher = subprocess.Popen(
        [KB_COMMAND, "ingest", str(drop), "--watch", "--json"], env=kb_env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        time.sleep(4)  # the first (empty) pass is done and the watcher waits
        for index, source in enumerate(sorted((CORPUS / "panels").iterdir())[:6]):
            shutil.copy(source, drop / f"{index}-{source.name}")
        time.sleep(2.2)  # the batch closes (0.8 s quiet, 1 s settled) and starts writing
    finally:
        watcher.kill()  # SIGKILL, mid-batch or just after
        watcher.wait(timeout=20)
    restarted = subprocess.run([KB_COMMAND, "ingest", str(drop), "--json"], env=kb_env(data), capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr
    doctor = subprocess.run([KB_COMMAND, "doctor"], env=kb_env(data), capture_output=True, text=True, timeout=120)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    listed = subprocess.run([KB_COMMAND, "docs", "--json"], env=kb_env(data), capture_output=True, text=True, timeout=120)
    assert len(__import__("json").loads(listed.stdout)["documents"]) == 6


def test_a_broken_file_in_a_watched_folder_is_reported_once_until_it_changes(tmp_path: Path) -> None:
    """An empty and a binary .txt were reported "failed" on every batch (18 times in 45 s)."""
    import json

    drop, data = tmp_path / "drop", tmp_path / "data"
    write(drop / "empty.txt", "")
    write(drop / "binary.txt", bytes(range(256)) * 40)
    watcher = subprocess.Popen(
        [KB_COMMAND, "ingest", str(drop), "--watch", "--json"], env=kb_env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    printed: list[str] = []  # the watcher's reports as they come (it holds the store: nothing else may read it)
    reading = threading.Thread(target=lambda: printed.extend(iter(watcher.stdout.readline, "")))  # type: ignore[union-attr]
    reading.start()
    added = lambda doc_id: f'"doc_id":"{doc_id}","status":"added"' in "".join(printed).replace(" ", "")  # noqa: E731
    try:
        assert _eventually(lambda: "binary.txt" in "".join(printed), 60)  # the first pass reported both
        for index in range(3):  # three batches of good files beside them, each waited for
            write(drop / f"note-{index}.md", f"# Note {index}\n\nOur pager rotation lasts {index + 1} weeks per quarter.\n")
            assert _eventually(lambda index=index: added(f"note-{index}.md"), 60)
        write(drop / "empty.txt", "Our pager rotation never runs two weeks in a row.\n")
        assert _eventually(lambda: added("empty.txt"), 60)
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=40)
        reading.join(timeout=10)
    out = "".join(printed)
    reports, at, decoder = [], 0, json.JSONDecoder()  # the first pass's report (indented), then one line per batch
    while (at := out.find("{", at)) != -1:
        report, at = decoder.raw_decode(out, at)
        reports.append(report)
    files = [f for report in reports for f in report["files"]]
    said = lambda doc_id, status: sum(f["doc_id"] == doc_id and f["status"] == status for f in files)  # noqa: E731
    assert said("binary.txt", "failed") == 1 and said("empty.txt", "failed") == 1, out
    assert said("empty.txt", "added") == 1 and all(said(f"note-{i}.md", "added") == 1 for i in range(3)), out
