"""One writer at a time: two `kb ingest` runs, an ingest and an API upload, a held lock and --wait."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
from conftest import CORPUS, KB_COMMAND, ingest_into, kb_env, passage_ids_by_doc

from kb import KnowledgeBase, Settings


def test_two_ingests_at_once_one_refuses_with_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "kb"
    runs = [
        subprocess.Popen(
            [KB_COMMAND, "ingest", str(CORPUS)], env=kb_env(data, COLUMNS="200"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    assert sorted(code for code, _ in outcomes) == [0, 3], outcomes
    refused = next(err for code, err in outcomes if code == 3)
    assert "open in another process (pid" in refused and "kb ingest" in refused and "--wait" in refused and "Traceback" not in refused
    clean = tmp_path / "clean"
    ingest_into(clean, [CORPUS])
    assert passage_ids_by_doc(data) == passage_ids_by_doc(clean)


def test_a_waiting_ingest_goes_ahead_once_the_lock_is_free(tmp_path: Path, small_corpus: Path) -> None:
    data = tmp_path / "kb"
    holder = KnowledgeBase(Settings(data_dir=data))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.writing(purpose="test"):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    refused = subprocess.run([KB_COMMAND, "ingest", str(small_corpus)], env=kb_env(data, COLUMNS="200"), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 3 and "another writer (test, pid" in refused.stderr
    waiting = subprocess.Popen(
        [KB_COMMAND, "ingest", str(small_corpus), "--wait", "60"],
        env=kb_env(data, COLUMNS="200"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    assert waiting.poll() is None  # still waiting for the lock
    release.set()
    thread.join()
    assert waiting.wait(timeout=120) == 0
    assert len(passage_ids_by_doc(data)) == 3


def test_api_writes_take_the_same_lock(tmp_path: Path, small_corpus: Path, serve) -> None:
    data = tmp_path / "kb"
    ingest_into(data, [small_corpus])
    server = serve(data, KB_WRITE_WAIT="1")
    holder = KnowledgeBase(Settings(data_dir=data))
    with holder.writing(purpose="ingest"):
        busy = httpx.post(f"{server.url}/v1/documents", files={"file": ("new.md", b"# New\n\nA new essay about staff work.\n")}, timeout=30)
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "busy" and busy.headers["retry-after"]
        assert httpx.delete(f"{server.url}/v1/documents/talk.vtt", timeout=30).status_code == 409
        assert httpx.post(f"{server.url}/v1/search", json={"query": "staff"}).status_code == 200  # reads never wait
    assert (
        httpx.post(f"{server.url}/v1/documents", files={"file": ("new.md", b"# New\n\nA new essay about staff work.\n")}, timeout=30).json()["added"]
        == 1
    )
