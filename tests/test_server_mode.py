"""Several API workers sharing one Chroma server: a write through one is seen by all, no restart."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from ingest import ingest_paths
from kb import KnowledgeBase, Settings


@pytest.mark.server
def test_two_workers_on_a_chroma_server_see_each_others_writes(small_corpus: Path, tmp_path: Path, chroma_server: str, serve) -> None:
    collection = f"w-{uuid.uuid4().hex[:10]}"
    data = tmp_path / "workers-kb"
    ingest_paths([small_corpus], KnowledgeBase(Settings(data_dir=data, chroma_url=chroma_server, collection=collection)))
    server = serve(data, KB_CHROMA_URL=chroma_server, KB_COLLECTION=collection, KB_RATE_LIMIT="0", workers="2")
    assert "with 2 workers" in server.log.read_text()
    upload = httpx.post(
        f"{server.url}/v1/documents",
        files={"file": ("beacons.md", b"# Beacons\n\nLighthouse beacons and zeppelin hangars are our rarest words.\n")},
        timeout=60,
    )
    assert upload.status_code == 200 and upload.json()["added"] == 1
    started = time.monotonic()
    seen = 0
    while seen < 20 and time.monotonic() - started < 15:
        with httpx.Client() as fresh:  # a new connection each time: either worker may answer
            results = fresh.post(f"{server.url}/v1/search", json={"query": "zeppelin hangars", "top_k": 1}).json()["results"]
        seen = seen + 1 if results and results[0]["doc_id"] == "beacons.md" else 0
    assert seen == 20, "a worker did not see the new document within 15 s"
