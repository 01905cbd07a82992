"""One store, many processes: a running `kb serve` sees every write a `kb` command makes from a shell.

An embedded store is opened by one process at a time (kb/store/claim.py): while
`kb serve` owns it, `kb ingest`, `kb delete`, `kb doctor` and the reading
commands go through the server's API. With a Chroma server every process opens
it, and a server sees another's writes within the generation check (1 s).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import KB_COMMAND, ingest_into, kb_env, write

PANEL = """---
title: {title}
---
[00:00:05] Noor Haddad: We learned that {word} rollouts need a written rollback plan before anyone touches production.
[00:00:40] Emeka Obi: And the {word} review should name one owner, not a committee.
"""


def _kb(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([KB_COMMAND, *args], env=kb_env(data, COLUMNS="200", **env), capture_output=True, text=True, timeout=180)


def _found(url: str, word: str) -> list[str]:
    response = httpx.post(f"{url}/v1/search", json={"query": word, "top_k": 3}, timeout=30)
    assert response.status_code == 200, response.text
    return [r["doc_id"] for r in response.json()["results"] if word in r["text"]]


class _Traffic(threading.Thread):
    """Searches and asks against the server until stopped; every answer that is not 200 is kept."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.errors, self.requests = url, threading.Event(), [], 0

    def run(self) -> None:
        queries = ["rollback plan owner", "staff engineers", "feedback", "sponsorship", "quillwort rollouts"]
        with httpx.Client(timeout=60) as client:
            while not self.stop.is_set():
                query = queries[self.requests % len(queries)]
                path, body = ("/v1/ask", {"question": query}) if self.requests % 3 == 2 else ("/v1/search", {"query": query})
                response = client.post(f"{self.url}{path}", json=body)
                self.requests += 1
                if response.status_code != 200:
                    self.errors.append((path, query, response.status_code, response.text[:200]))


@pytest.mark.slow
def test_cli_writes_reach_a_running_server_at_once(tmp_path: Path, small_corpus: Path, serve) -> None:
    data = tmp_path / "shared-kb"
    ingest_into(data, [small_corpus])
    server = serve(data, KB_RATE_LIMIT="0")
    traffic = _Traffic(server.url)
    traffic.start()
    drop = tmp_path / "drop"
    try:
        for round_number in range(4):
            word = f"quillwort{round_number}"
            write(drop / f"panel-{round_number}.txt", PANEL.format(title=f"Panel {round_number}", word=word))
            added = _kb(data, "ingest", str(drop))
            assert added.returncode == 0, added.stderr
            assert _found(server.url, word) == [f"panel-{round_number}.txt"]  # at once: the server wrote it

            write(drop / f"panel-{round_number}.txt", PANEL.format(title=f"Panel {round_number}", word=f"edited{round_number}"))
            assert _kb(data, "ingest", str(drop)).returncode == 0
            assert _found(server.url, f"edited{round_number}") == [f"panel-{round_number}.txt"]
            assert _found(server.url, word) == []

        assert _kb(data, "delete", "panel-0.txt").returncode == 0
        assert _found(server.url, "edited0") == []
        (drop / "panel-0.txt").unlink()
        (drop / "panel-1.txt").unlink()
        pruned = _kb(data, "ingest", str(drop), "--prune", "--json")
        assert pruned.returncode == 0, pruned.stderr
        assert '"status": "removed"' in pruned.stdout and '"panel-1.txt"' in pruned.stdout  # the server kept the folder
        assert _found(server.url, "edited1") == []

        search = _kb(data, "search", "edited2 rollouts", "--json")  # reads go through the server too
        assert search.returncode == 0 and "panel-2.txt" in search.stdout
        docs = _kb(data, "docs")
        assert docs.returncode == 0 and "panel-3.txt" in docs.stdout and "panel-0.txt" not in docs.stdout
        doctor = _kb(data, "doctor")
        assert doctor.returncode == 0 and "Consistent" in doctor.stdout, doctor.stdout + doctor.stderr
    finally:
        traffic.stop.set()
        traffic.join(timeout=60)
    assert traffic.requests > 10
    assert traffic.errors == []


def test_commands_go_through_a_server_that_wants_keys(tmp_path: Path, small_corpus: Path, serve) -> None:
    """With KB_API_KEY and KB_READ_KEY set on the server only, the kb command still gets in (its token)."""
    data = tmp_path / "keyed-kb"
    ingest_into(data, [small_corpus])
    server = serve(data, KB_API_KEY="writer-secret", KB_READ_KEY="reader-secret")
    write(tmp_path / "drop" / "keyed.txt", PANEL.format(title="Keyed", word="marram"))
    assert _kb(data, "ingest", str(tmp_path / "drop")).returncode == 0
    assert httpx.post(f"{server.url}/v1/search", json={"query": "marram"}).status_code == 401  # others still need the key
    found = httpx.post(f"{server.url}/v1/search", json={"query": "marram"}, headers={"Authorization": "Bearer reader-secret"})
    assert [r["doc_id"] for r in found.json()["results"]][:1] == ["keyed.txt"]


def test_a_second_process_is_told_who_has_the_store(tmp_path: Path, small_corpus: Path) -> None:
    from kb import KnowledgeBase, Settings

    data = tmp_path / "held-kb"
    with KnowledgeBase(Settings(data_dir=data)) as holder:
        holder.documents()  # opens the store in this process
        refused = _kb(data, "ingest", str(small_corpus))
        assert refused.returncode == 3
        assert f"pid {os.getpid()}" in refused.stderr and "one process at a time" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert _kb(data, "ingest", str(small_corpus)).returncode == 0  # closed: free again


def test_library_users_and_a_second_server_are_refused_while_a_server_owns_it(tmp_path: Path, small_corpus: Path, serve) -> None:
    from kb import KnowledgeBase, Settings
    from kb.store.claim import StoreServed

    data = tmp_path / "owned-kb"
    ingest_into(data, [small_corpus])
    server = serve(data)
    with pytest.raises(StoreServed) as refused:
        KnowledgeBase(Settings(data_dir=data)).documents()
    assert server.url in refused.value.message
    second = subprocess.run([KB_COMMAND, "serve", "--port", "1"], env=kb_env(data, COLUMNS="200"), capture_output=True, text=True, timeout=60)
    assert second.returncode == 1 and "already serves this store" in second.stderr


def test_serve_waits_for_an_ingest_that_has_the_store(tmp_path: Path, small_corpus: Path, serve) -> None:
    from kb import KnowledgeBase, Settings

    data = tmp_path / "waiting-kb"
    holder = KnowledgeBase(Settings(data_dir=data))
    holder.documents()
    threading.Timer(3.0, holder.close).start()  # an "ingest" that finishes three seconds from now
    started = time.monotonic()
    server = serve(data)
    assert time.monotonic() - started >= 2.5
    assert "Waiting for the store" in server.log.read_text()
    assert httpx.get(f"{server.url}/v1/health").json()["documents"] == 0


@pytest.mark.server
def test_a_server_on_a_chroma_server_sees_other_processes_writes_within_two_seconds(
    tmp_path: Path, small_corpus: Path, serve, chroma_server: str
) -> None:
    import uuid

    settings = {"KB_CHROMA_URL": chroma_server, "KB_COLLECTION": f"mp-{uuid.uuid4().hex[:10]}"}
    data = tmp_path / "replica-kb"
    ingest = subprocess.run(
        [KB_COMMAND, "ingest", str(small_corpus)], env=kb_env(tmp_path / "writer-kb", **settings), capture_output=True, text=True, timeout=180
    )
    assert ingest.returncode == 0, ingest.stderr
    server = serve(data, KB_RATE_LIMIT="0", **settings)
    traffic = _Traffic(server.url)
    traffic.start()
    try:
        for round_number in range(3):
            word = f"sedge{round_number}"
            write(tmp_path / "drop" / f"panel-{round_number}.txt", PANEL.format(title=f"Panel {round_number}", word=word))
            result = subprocess.run(
                [KB_COMMAND, "ingest", str(tmp_path / "drop")],
                env=kb_env(tmp_path / "writer-kb", **settings),
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert result.returncode == 0, result.stderr
            written = time.monotonic()
            while not _found(server.url, word):
                assert time.monotonic() - written < 2.0, f"{word} not seen by the server within 2 s"
                time.sleep(0.05)
    finally:
        traffic.stop.set()
        traffic.join(timeout=60)
    assert traffic.errors == []


def test_both_facades_offer_the_same_surface_and_answers(tmp_path: Path, small_corpus: Path, serve) -> None:
    """`open_knowledge_base` gives the served store's client while `kb serve` owns it, this process's store once it
    stops; the same calls give the same results either way (search in each mode, ask with its stream, doctor,
    an upload through ingest's one-file path)."""
    from ingest import ingest_bytes
    from kb import KnowledgeBase, RemoteKnowledgeBase, Settings, open_knowledge_base

    data = tmp_path / "either-kb"
    ingest_into(data, [small_corpus])
    settings = Settings(data_dir=data)
    server = serve(data, KB_RATE_LIMIT="0")
    with open_knowledge_base(settings) as remote:
        assert isinstance(remote, RemoteKnowledgeBase)
        note = b"# On-call notes\n\nA quiet pager is earned: every alert names its owner and its runbook.\n"
        assert ingest_bytes("notes/on-call.md", note, remote).added == 1
        assert ingest_bytes("notes/on-call.md", note, remote).unchanged == 1  # unchanged: nothing sent twice
        assert remote.health().documents == 4
        assert remote.doctor().healthy and remote.recover_interrupted() == []
        served = {mode: [p.chunk_id for p in remote.search("design documents", top_k=3, mode=mode).results] for mode in ("hybrid", "dense", "sparse")}
        heard: list[str] = []
        answer = remote.ask("what do staff engineers spend their week on?", on_delta=heard.append)
        assert answer.answered and heard == [answer.answer]  # an extractive answer is one delta, as the page gets it
    server.stop()
    with open_knowledge_base(settings) as local:
        assert isinstance(local, KnowledgeBase)
        assert {mode: [p.chunk_id for p in local.search("design documents", top_k=3, mode=mode).results] for mode in served} == served
        assert local.ask("what do staff engineers spend their week on?").answer == answer.answer
        assert local.document("notes/on-call.md") is not None and local.doctor().healthy
