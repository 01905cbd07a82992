"""Backups that restore, tried with real processes: a backup taken through a running `kb serve` during a write
loop restores to the store as it was at the snapshot; torn, tampered and foreign archives are refused; a restore
never overwrites a store; the HTTP route follows the write rules; the same archive moves to and from a Chroma server."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from kb import KnowledgeBase, Settings
from tests.conftest import CORPUS, KB_COMMAND, ingest_into, kb_env, passage_ids_by_doc

QUERIES = ["what do staff engineers do differently", "how do I find a sponsor", "pager rotation handoffs", "feedback that lands"]


def _kb(args: list[str], data: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([KB_COMMAND, *args], env=kb_env(data, **env), capture_output=True, text=True, timeout=300)


def _said(result: subprocess.CompletedProcess) -> str:
    return " ".join(result.stderr.split())  # rich wraps lines at the terminal's width


def _rankings(search) -> list[list[tuple[str, float]]]:
    return [[(p["chunk_id"], round(p["score"], 5)) for p in search(q)] for q in QUERIES]


@pytest.fixture
def corpus_store(tmp_path: Path) -> Path:
    data = tmp_path / "source"
    assert ingest_into(data, [CORPUS / "panels", CORPUS / "essays"]).failed == 0
    return data


@pytest.mark.slow
def test_a_backup_during_a_write_loop_restores_the_store_at_the_snapshot(corpus_store: Path, tmp_path: Path, serve) -> None:
    server = serve(corpus_store, KB_RATE_LIMIT="0")
    stop, written, errors = threading.Event(), [], []

    def write_loop() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            while not stop.is_set():
                name = f"loop/note-{len(written):03d}.md"
                body = f"# Note {len(written)}\n\nOur pager rotation note number {len(written)} says handoffs happen on day {len(written) % 7}.\n"
                response = client.post("/v1/documents", files={"file": (name, body.encode())}, data={"doc_id": name})
                (written if response.status_code == 200 else errors).append(name if response.status_code == 200 else response.text)

    writer = threading.Thread(target=write_loop)
    writer.start()
    deadline = time.monotonic() + 120
    try:
        while len(written) < 3 and not errors and time.monotonic() < deadline:
            stop.wait(0.1)
        archive = tmp_path / "backups" / "during-writes.tar.gz"
        taken = _kb(["backup", str(archive), "--json"], corpus_store)  # the store is served: the CLI goes through the server
        searched_meanwhile = httpx.post(f"{server.url}/v1/search", json={"query": "sponsor"}, timeout=60).status_code
        after = len(written)
        while len(written) < after + 2 and not errors and time.monotonic() < deadline + 60:  # the loop goes on after it
            stop.wait(0.1)
    finally:
        stop.set()
        writer.join(timeout=120)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert errors == [] and searched_meanwhile == 200
    manifest = json.loads(taken.stdout)
    assert manifest["format"] == "panel-kb-backup" and "members" not in manifest

    restored = tmp_path / "restored"
    done = _kb(["restore", str(archive)], restored)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _kb(["doctor"], restored).returncode == 0
    with KnowledgeBase(Settings(data_dir=restored)) as kb:
        snapshot = {doc.doc_id: doc for doc in kb.documents()}
        restored_ids = {doc_id: sorted(kb.store.passage_ids(doc_id)) for doc_id in snapshot}
    assert len(snapshot) == manifest["documents"] and sum(d.passages for d in snapshot.values()) == manifest["passages"]
    source_docs = {d["doc_id"]: d for d in httpx.get(f"{server.url}/v1/documents").json()["documents"]}
    notes = sorted(doc_id for doc_id in snapshot if doc_id.startswith("loop/"))
    assert 3 <= len(notes) < len(written) == len([d for d in source_docs if d.startswith("loop/")])  # writes went on after it
    assert notes == [f"loop/note-{i:03d}.md" for i in range(len(notes))]  # a prefix of the loop: nothing torn out of order
    for doc_id, doc in snapshot.items():
        assert source_docs[doc_id]["content_hash"] == doc.content_hash and source_docs[doc_id]["passages"] == doc.passages

    for doc_id in set(source_docs) - set(snapshot):  # the source as it was at the snapshot's moment
        assert httpx.delete(f"{server.url}/v1/documents/{doc_id}").status_code == 200
    source_rankings = _rankings(lambda q: httpx.post(f"{server.url}/v1/search", json={"query": q}, timeout=60).json()["results"])
    server.stop()
    with KnowledgeBase(Settings(data_dir=corpus_store)) as kb:
        assert {doc.doc_id: sorted(kb.store.passage_ids(doc.doc_id)) for doc in kb.documents()} == restored_ids
    restored_server = serve(restored)
    assert _rankings(lambda q: httpx.post(f"{restored_server.url}/v1/search", json={"query": q}, timeout=60).json()["results"]) == source_rankings


def _repacked(archive: Path, out: Path, change) -> Path:
    """The archive with its members passed through `change(name, bytes) -> bytes | None` (None drops one)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(out, "w:gz") as target:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())  # type: ignore[union-attr]
            if data is not None:
                info = tarfile.TarInfo(member.name)
                info.size = len(data)
                target.addfile(info, io.BytesIO(data))
    return out


def test_torn_tampered_and_foreign_archives_are_refused_and_nothing_is_written(corpus_store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "good.tar.gz"
    assert _kb(["backup", str(archive)], corpus_store).returncode == 0
    torn = tmp_path / "torn.tar.gz"
    torn.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    flipped = lambda name, data: data.replace(b"sponsor", b"spondor", 1) if name == "passages.jsonl" else data  # noqa: E731
    tampered = _repacked(archive, tmp_path / "tampered.tar.gz", flipped)
    missing = _repacked(archive, tmp_path / "missing.tar.gz", lambda name, data: None if name == "embeddings.f32" else data)
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    flipped_bytes = tmp_path / "flipped-bytes.tar.gz"  # damage inside the compressed stream: zlib's own errors
    damaged = bytearray(archive.read_bytes())
    for at in range(len(damaged) // 3, len(damaged) // 3 + 64):
        damaged[at] ^= 0x5A
    flipped_bytes.write_bytes(bytes(damaged))
    not_gzip = tmp_path / "plain.tar.gz"
    not_gzip.write_bytes(gzip.decompress(archive.read_bytes())[:1000])
    for bad, said in (
        (torn, "incomplete or damaged"),
        (flipped_bytes, "damaged"),
        (tampered, "passages.jsonl does not match the checksum"),
        (missing, "not a panel-kb backup"),
        (foreign, "not a panel-kb backup"),
        (not_gzip, "incomplete or damaged"),
    ):
        target = tmp_path / f"into-{bad.stem}"
        result = _kb(["restore", str(bad)], target)
        assert result.returncode == 1 and said in _said(result), (bad.name, result.stderr)
        assert "Traceback" not in result.stderr and not target.exists()  # nothing half-written, not even the folder
        assert not list(tmp_path.glob(f".into-{bad.stem}.restoring-*"))


def test_a_restore_never_overwrites_a_store_and_a_backup_never_overwrites_a_file(corpus_store: Path, tmp_path: Path, serve) -> None:
    archive = tmp_path / "good.tar.gz"
    assert _kb(["backup", str(archive)], corpus_store).returncode == 0
    before = passage_ids_by_doc(corpus_store)
    refused = _kb(["restore", str(archive)], corpus_store)
    assert refused.returncode == 1 and "not empty" in _said(refused)
    server = serve(corpus_store)
    assert _kb(["restore", str(archive)], corpus_store).returncode == 1  # served: not empty either
    again = _kb(["backup", str(archive)], corpus_store)
    assert again.returncode == 1 and "exists" in _said(again)
    server.stop()
    assert passage_ids_by_doc(corpus_store) == before  # the store is as it was
    assert _kb(["restore", str(archive), "--data-dir", str(tmp_path / "elsewhere")], tmp_path / "unused").returncode == 0
    assert _kb(["docs", "--json"], tmp_path / "elsewhere").returncode == 0


def test_the_http_backup_is_for_writers_and_streams_the_archive(corpus_store: Path, tmp_path: Path, serve) -> None:
    server = serve(corpus_store, KB_API_KEY="writer-key", KB_READ_KEY="reader-key")
    assert httpx.post(f"{server.url}/v1/backup").status_code == 401
    assert httpx.post(f"{server.url}/v1/backup", headers={"Authorization": "Bearer reader-key"}).status_code == 403
    answer = httpx.post(f"{server.url}/v1/backup", headers={"Authorization": "Bearer writer-key"}, timeout=120)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/gzip"
    assert "attachment" in answer.headers["content-disposition"] and answer.headers["x-backup-documents"] == "20"
    archive = tmp_path / "over-http.tar.gz"
    archive.write_bytes(answer.content)
    assert _kb(["restore", str(archive)], tmp_path / "restored").returncode == 0
    schema = httpx.get(f"{server.url}/openapi.json").json()["paths"]["/v1/backup"]["post"]
    server.stop()
    local = serve(corpus_store, KB_READ_KEY="reader-key")  # no api key: writes from this machine, reads with the key
    assert httpx.post(f"{local.url}/v1/backup").status_code == 401  # the archive is a read of everything
    assert httpx.post(f"{local.url}/v1/backup", headers={"Authorization": "Bearer reader-key"}).status_code == 200
    assert "application/gzip" in schema["responses"]["200"]["content"] and "401" in schema["responses"]


@pytest.mark.server
def test_the_same_archive_moves_to_and_from_a_chroma_server(corpus_store: Path, tmp_path: Path, chroma_server: str) -> None:
    """Server mode: a backup is read through Chroma's API, so it is the same archive; a restore fills an empty collection."""
    archive = tmp_path / "embedded.tar.gz"
    assert _kb(["backup", str(archive)], corpus_store).returncode == 0
    collection = f"restored-{uuid.uuid4().hex[:8]}"
    remote = {"KB_CHROMA_URL": chroma_server, "KB_COLLECTION": collection}
    assert _kb(["restore", str(archive)], tmp_path / "api-side", **remote).returncode == 0
    refused = _kb(["restore", str(archive)], tmp_path / "api-side", **remote)
    assert refused.returncode == 1 and "already holds a store" in _said(refused)
    with KnowledgeBase(Settings(data_dir=tmp_path / "api-side", chroma_url=chroma_server, collection=collection)) as on_server:
        assert on_server.doctor().healthy
        served = _rankings(lambda q: [p.model_dump() for p in on_server.search(q).results])
    with KnowledgeBase(Settings(data_dir=corpus_store)) as local:
        assert _rankings(lambda q: [p.model_dump() for p in local.search(q).results]) == served
    back = tmp_path / "from-server.tar.gz"
    assert _kb(["backup", str(back)], tmp_path / "api-side", **remote).returncode == 0
    assert _kb(["restore", str(back)], tmp_path / "round-trip").returncode == 0
    with KnowledgeBase(Settings(data_dir=tmp_path / "round-trip")) as kb:
        assert _rankings(lambda q: [p.model_dump() for p in kb.search(q).results]) == served


def test_a_restore_that_fails_at_the_end_removes_what_it_built(corpus_store: Path, tmp_path: Path, monkeypatch) -> None:
    """A failure after the rows are written (here: the keyword index) leaves the destination as it was: empty."""
    archive = tmp_path / "good.tar.gz"
    assert _kb(["backup", str(archive)], corpus_store).returncode == 0
    target = tmp_path / "volume"
    target.mkdir()  # an empty mount point, say: it stays, empty
    (target / "lost+found").mkdir()  # what a fresh ext4 volume holds: not a store

    def broken(self, fresh: bool = True) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(KnowledgeBase, "sync_sparse", broken)
    with pytest.raises(OSError, match="disk full"):
        KnowledgeBase.restore(Settings(data_dir=target), archive)
    assert sorted(p.name for p in target.iterdir()) == ["lost+found"]
    monkeypatch.undo()
    KnowledgeBase.restore(Settings(data_dir=target), archive)
    with KnowledgeBase(Settings(data_dir=target)) as kb:
        assert kb.doctor().healthy and kb.health().documents == 20


def test_writes_during_the_unlocked_read_end_up_as_they_are_at_the_locked_moment(corpus_store: Path, tmp_path: Path, monkeypatch) -> None:
    """Rows are read without the lock and reconciled under it: a document replaced, added or deleted mid-read is in the
    archive as it is at the end (the store at one moment), never a mix of versions."""
    from ingest import ingest_bytes
    from kb import backup

    reading = backup._all_passages
    with KnowledgeBase(Settings(data_dir=corpus_store)) as kb:

        def interrupted(store):
            for index, row in enumerate(reading(store)):
                if index == 40:  # mid-read: another writer replaces one document, adds one, deletes one
                    note = b"# Pager\n\nOur pager rotation now lasts two weeks, and handoffs happen on Mondays.\n"
                    assert ingest_bytes("feedback-that-lands.md", note, kb).updated == 1
                    assert ingest_bytes("new/late.md", b"# Late\n\nA note written while the backup read.\n", kb).added == 1
                    kb.delete("management-and-back.srt")
                yield row

        monkeypatch.setattr(backup, "_all_passages", interrupted)
        manifest = kb.backup(tmp_path / "mid-write.tar.gz")
        monkeypatch.undo()
        expected = {doc.doc_id: (doc.content_hash, sorted(kb.store.passage_ids(doc.doc_id))) for doc in kb.documents()}
        rankings = _rankings(lambda q: [p.model_dump() for p in kb.search(q).results])
    assert manifest["write_lock_seconds"] < 5
    KnowledgeBase.restore(Settings(data_dir=tmp_path / "restored"), tmp_path / "mid-write.tar.gz")
    with KnowledgeBase(Settings(data_dir=tmp_path / "restored")) as restored:
        assert {doc.doc_id: (doc.content_hash, sorted(restored.store.passage_ids(doc.doc_id))) for doc in restored.documents()} == expected
        assert restored.doctor().healthy and _rankings(lambda q: [p.model_dump() for p in restored.search(q).results]) == rankings
