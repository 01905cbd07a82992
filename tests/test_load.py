"""Load: searches, answers, listings, uploads and deletes at 32 concurrency against a real server.

0 errors, 0 lost documents (the store holds exactly the corpus plus what was
uploaded and not deleted), and `kb doctor` finds nothing afterwards. CI sends
600 requests; `make load` sends 5,000 (PANEL_KB_LOAD_REQUESTS) and prints the
figures.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, ingest_into

REQUESTS = int(os.environ.get("PANEL_KB_LOAD_REQUESTS", "600"))
CONCURRENCY = 32
QUESTIONS = [
    "what do staff engineers do differently",
    "how do I find a sponsor",
    "what makes a promotion packet convincing",
    "how should feedback be delivered",
    "why go back to being an individual contributor",
    "what does a manager do in the first ninety days",
]
MIX = [("search", 55), ("ask", 25), ("documents", 5), ("upload", 10), ("delete", 5)]


def _essay(number: int) -> bytes:
    return f"# Load essay {number}\n\nEssay {number} says that loadword{number} matters for careers and for on-call rotations.\n".encode()


@pytest.mark.slow
def test_mixed_load_loses_nothing_and_leaves_a_consistent_store(tmp_path: Path, serve) -> None:
    data = tmp_path / "load-kb"
    corpus_docs = {f.doc_id for f in ingest_into(data, [CORPUS]).files}
    server = serve(data, KB_RATE_LIMIT="0", KB_WRITE_WAIT="120")
    result = asyncio.run(_drive(server.url, REQUESTS))
    print(
        f"\nload: {result['requests']} requests at {CONCURRENCY} concurrency in {result['seconds']:.1f} s "
        f"({result['requests'] / result['seconds']:.0f} req/s); {dict(result['kinds'])}; errors {len(result['errors'])}; "
        f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms; live uploads {len(result['live'])}"
    )
    assert result["errors"] == [], result["errors"][:5]
    stored = {d["doc_id"] for d in httpx.get(f"{server.url}/v1/documents").json()["documents"]}
    assert stored == corpus_docs | result["live"]  # nothing lost, nothing resurrected
    for doc_id in sorted(result["live"])[:5]:
        number = doc_id.split("-")[-1].removesuffix(".md")
        hits = httpx.post(f"{server.url}/v1/search", json={"query": f"loadword{number}", "top_k": 1}).json()["results"]
        assert hits and hits[0]["doc_id"] == doc_id
    report = httpx.post(f"{server.url}/v1/doctor", json={"repair": False}).json()  # the server owns the store
    assert report["findings"] == [], report


async def _drive(url: str, total: int) -> dict:
    rng = random.Random(42)
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=total)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for kind in kinds:
        queue.put_nowait(kind)
    live: set[str] = set()  # uploaded, confirmed, not (being) deleted
    errors: list[str] = []
    latencies: list[float] = []
    counter = iter(range(1, 10**9))

    async def one(client: httpx.AsyncClient, kind: str) -> None:
        started = time.perf_counter()
        if kind == "search":
            response = await client.post("/v1/search", json={"query": rng.choice(QUESTIONS), "top_k": 5})
        elif kind == "ask":
            response = await client.post("/v1/ask", json={"question": rng.choice(QUESTIONS)})
        elif kind == "documents":
            response = await client.get("/v1/documents")
        elif kind == "upload":
            number = next(counter)
            doc_id = f"load/essay-{number}.md"
            response = await client.post("/v1/documents", files={"file": ("x.md", _essay(number))}, data={"doc_id": doc_id})
            if response.status_code == 200:
                live.add(doc_id)
        else:
            if not live:
                return
            doc_id = rng.choice(sorted(live))
            live.discard(doc_id)  # from now on it must be gone
            response = await client.delete(f"/v1/documents/{doc_id}")
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors.append(f"{kind}: {response.status_code} {response.text[:200]}")

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            await one(client, queue.get_nowait())

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=180, limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "kinds": Counter(kinds),
        "errors": errors,
        "live": live,
        "p50": statistics.median(ordered) * 1000,
        "p95": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
    }
