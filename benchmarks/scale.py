"""Scale: ingest and query at growing store sizes, each next to its floor measured in the same run.

Builds one store in steps (default 1k, 10k, 100k passages of synthetic panel
transcripts: corpus sentences reshuffled, new speakers, and rare words drawn
from the model's 20k-word vocabulary so the keyword side sees a long tail),
and at every size prints:
- `kb ingest` passages/s for the step vs raw embedding of the same passages (floor),
  and the ingest's peak RSS;
- p50/p95 of POST /v1/search and /v1/ask over HTTP vs the floor (query embedding +
  one Chroma query + one BM25 query, called directly), and the server's peak RSS;
then, at the largest size, 32 concurrent clients against /v1/search (embedded,
one worker), and the same store behind `chroma run` with two API workers
(the BM25 side rebuilt from Chroma at start, a write through one worker seen by
the other). Also the llama-index quick-start way of ingesting the first step.

Run: `make scale` (about 30 minutes on 2 cores), or
`.venv/bin/python benchmarks/scale.py --sizes 1000,5000 --seconds 15` for a quick look.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import percentiles_ms, print_table  # noqa: E402
from benchmarks.synthetic import write_transcripts  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from ingest.chunking import chunk_units  # noqa: E402
from ingest.readers import read_document  # noqa: E402
from ingest.sources import discover  # noqa: E402
from kb import KnowledgeBase, Settings  # noqa: E402
from kb.embedding import get_embedder  # noqa: E402
from kb.models import SearchFilters  # noqa: E402

BIN = Path(sys.executable).parent
PASSAGES_PER_FILE = 43  # what a 100-turn synthetic transcript yields
QUESTIONS = [
    "what do staff engineers do differently",
    "how do I find a sponsor",
    "what makes a promotion packet convincing",
    "how should feedback be delivered",
    "why go back to being an individual contributor",
    "how do you run a calibration meeting",
    "what does a manager do in the first ninety days",
    "how do principal engineers set direction",
    "mentoring that scales beyond one person",
    "writing design documents for a large audience",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="store sizes in passages, ascending")
    parser.add_argument("--seconds", type=int, default=60, help="length of each throughput run")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="API workers in server mode")
    parser.add_argument("--work", type=Path, help="keep the generated files and store here (default: a temp folder)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="panel-kb-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "kb"
    embedder = get_embedder(Settings())
    rare = vocabulary_words(embedder)

    ingest_rows, query_rows, memory_rows = [], [], []
    have = 0
    for step, size in enumerate(sizes):
        folder = work / f"part-{step}"
        done = work / f"part-{step}.json"  # with --work, a finished step is not built again
        if done.exists():
            floor, report, seconds, peak = json.loads(done.read_text())
        else:
            files = max(1, round((size - have) / PASSAGES_PER_FILE))
            write_transcripts(folder, files=files, turns_per_file=100, seed=100 + step, rare_words=rare, prefix=f"p{step}-")
            floor = embedding_floor(embedder, folder)
            report, seconds, peak = timed_ingest(data, folder)
            done.write_text(json.dumps([floor, report, seconds, peak]))
        have += report["passages"]
        rate = report["passages"] / report["seconds"]  # the ingest itself; process start and model load are in `seconds`
        ingest_rows.append(
            [
                f"{have:,}",
                f"+{report['passages']:,}",
                f"{floor:.0f}",
                f"{rate:.0f}",
                f"{rate / floor:.2f}x",
                f"{seconds:.0f} s",
                f"{peak / 2**20:.0f} MB",
            ]
        )
        floor_ms = floor_latencies(data, 60)  # in this process, before the server claims the store
        with Server(data) as server:
            search = http_latencies(server.url, "/v1/search", 60)
            ask = http_latencies(server.url, "/v1/ask", 30)
            query_rows.append(
                [f"{have:,}", *fmt(floor_ms), *fmt(search), f"{search[0] / floor_ms[0]:.2f}x", *fmt(ask), f"{ask[0] / floor_ms[0]:.2f}x"]
            )
            if step == len(sizes) - 1:
                embedded_load = load(server.url, args.clients, args.seconds)
                backup_row = timed_backup(data, work, server.url)
            memory_rows.append([f"{have:,}", f"{server.peak_rss() / 2**20:.0f} MB", f"{peak / 2**20:.0f} MB"])
    print_table(
        "kb ingest vs raw embedding of the same passages (target >= 0.85x)",
        ["store after", "step", "embed only p/s", "kb ingest p/s", "ratio", "kb ingest wall time", "ingest peak RSS"],
        ingest_rows,
    )
    print_table(
        "Query latency over HTTP vs the floor (embed + 1 Chroma query + 1 BM25 query, in-process); ms (targets at the largest: search p50 <= 1.5x, ask p50 <= 2x, p95 <= 2x p50)",
        ["passages", "floor p50", "floor p95", "search p50", "search p95", "search/floor", "ask p50", "ask p95", "ask/floor"],
        query_rows,
    )
    print_table("Peak memory (RSS)", ["passages", "API server", "kb ingest of the step"], memory_rows)

    print_table(
        f"Backup and restore at {have:,} passages (kb backup through the running kb serve while searches go on; kb restore into a new dir)",
        ["backup s", "writers waited s", "archive MB", "searches during it", "search p50 during it ms", "restore s", "restored passages"],
        [backup_row],
    )

    server_mode = chroma_server_mode(data, args)
    print_table(
        f"Throughput: {args.clients} concurrent clients for {args.seconds} s against /v1/search at {have:,} passages",
        ["setup", "requests/s", "errors", "p50 ms", "p95 ms"],
        [["embedded store, 1 worker", *embedded_load], [f"Chroma server, {args.workers} API workers", *server_mode["load"]]],
    )
    print_table(
        "Server mode (chroma run on the same store)",
        ["BM25 rebuilt from Chroma at start", "search p50 / p95 ms", "a write seen by every worker after"],
        [[f"{server_mode['start']:.0f} s", "{:.0f} / {:.0f}".format(*server_mode["search"]), f"{server_mode['visible']:.1f} s"]],
    )
    print_table(
        "llama-index quick-start vs kb ingest, first step's files",
        ["way", "passages", "seconds", "passages/s", "kb ingest speed-up"],
        llama_index_rows(work / "part-0", embedder),
    )
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def vocabulary_words(embedder) -> list[str]:
    """Whole words of the model's vocabulary (4+ letters): a long tail of real words, offline."""
    vocab = embedder._tokenizer.get_vocab()
    return sorted(w for w in vocab if w.isalpha() and w.isascii() and len(w) >= 4)


def passages_of(folder: Path, embedder) -> list[str]:
    sources = discover([folder]).sources
    return [d.embed_text for s in sources for d in chunk_units(read_document(s.doc_id, s.path.read_bytes()), embedder.count_tokens)]


def embedding_floor(embedder, folder: Path, sample: int = 2000) -> float:
    texts = passages_of(folder, embedder)
    texts = random.Random(1).sample(texts, min(sample, len(texts)))
    embedder.embed(texts[:64])
    started = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def env_for(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_") or k == "KB_MODEL_CACHE"}
    return {**env, "KB_DATA_DIR": str(data), "KB_RATE_LIMIT": "0", **extra}


def timed_ingest(data: Path, folder: Path) -> tuple[dict, float, int]:
    """`kb ingest --json` as users run it; (report, seconds, peak RSS in bytes)."""
    started = time.perf_counter()
    process = subprocess.Popen([str(BIN / "kb"), "ingest", str(folder), "--json"], env=env_for(data), stdout=subprocess.PIPE, text=True)
    peak = PeakRss(process.pid)
    out, _ = process.communicate()
    seconds = time.perf_counter() - started
    report = json.loads(out)
    assert report["failed"] == 0, report
    return report, seconds, peak.stop()


def timed_backup(data: Path, work: Path, url: str) -> list[str]:
    """`kb backup` of the served store while one client keeps searching, then `kb restore` of the archive."""
    archive, restored = work / "backup.tar.gz", work / "restored"
    archive.unlink(missing_ok=True)
    shutil.rmtree(restored, ignore_errors=True)
    stop, latencies = threading.Event(), []

    def searching() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                started = time.perf_counter()
                client.post(f"{url}/v1/search", json={"query": QUESTIONS[len(latencies) % len(QUESTIONS)]}).raise_for_status()
                latencies.append(time.perf_counter() - started)

    searcher = threading.Thread(target=searching)
    searcher.start()
    started = time.perf_counter()
    taken = subprocess.run([str(BIN / "kb"), "backup", str(archive), "--json"], env=env_for(data), capture_output=True, text=True, check=True)
    backup_seconds = time.perf_counter() - started
    stop.set()
    searcher.join()
    manifest = json.loads(taken.stdout)
    started = time.perf_counter()
    subprocess.run([str(BIN / "kb"), "restore", str(archive)], env=env_for(restored), capture_output=True, text=True, check=True)
    restore_seconds = time.perf_counter() - started
    with KnowledgeBase(Settings(data_dir=restored)) as kb:
        passages = kb.store.count_passages()
    return [
        f"{backup_seconds:.1f}",
        f"{manifest['write_lock_seconds']:.1f}",
        f"{archive.stat().st_size / 2**20:.0f}",
        f"{len(latencies)}",
        f"{percentiles_ms(latencies)[0]:.0f}" if latencies else "-",
        f"{restore_seconds:.1f}",
        f"{passages:,} of {manifest['passages']:,}",
    ]


class PeakRss:
    """Samples a process's RSS every 0.2 s from another thread (the kernel's VmHWM dies with it)."""

    def __init__(self, pid: int) -> None:
        self.process, self.peak, self.done = psutil.Process(pid), 0, threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.done.wait(0.2):
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return

    def stop(self) -> int:
        self.done.set()
        return self.peak


class Server:
    """`kb serve` on a free port; with workers, the parent plus its worker processes."""

    def __init__(self, data: Path, workers: int = 1, **env: str) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(BIN / "kb"), "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env_for(data, **env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started = time.perf_counter()
        while time.perf_counter() - started < 900:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        self.start_seconds = time.perf_counter() - started

    def peak_rss(self) -> int:
        processes = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        return max(int(_status(p.pid, "VmHWM")) * 1024 for p in processes)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _status(pid: int, key: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split()[1]
    return "0"


def http_latencies(url: str, path: str, n: int) -> tuple[float, float]:
    field = "question" if path.endswith("ask") else "query"
    with httpx.Client(base_url=url, timeout=120) as client:
        client.post(path, json={field: QUESTIONS[0]})  # warm-up
        times = []
        for i in range(n):
            started = time.perf_counter()
            response = client.post(path, json={field: QUESTIONS[i % len(QUESTIONS)], "top_k": 5})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return percentiles_ms(times)


def floor_latencies(data: Path, n: int) -> tuple[float, float]:
    """The least any search must do: embed the query, one Chroma query, one BM25 query.

    The Chroma query is the plain one a Chroma user writes: the 100 nearest
    passages with their metadata (our text lives there) and distances.
    """
    with KnowledgeBase(Settings(data_dir=data)) as kb:  # closed again: a `kb serve` claims the store next
        kb.sync_sparse()

        def chroma_query(question: str) -> None:
            kb.store.passages.query(query_embeddings=[kb.embedder.embed([question])[0]], n_results=100, include=["metadatas", "distances"])

        chroma_query(QUESTIONS[0])
        times = []
        for i in range(n):
            started = time.perf_counter()
            chroma_query(QUESTIONS[i % len(QUESTIONS)])
            kb.sparse.top(kb.sparse.prepare(QUESTIONS[i % len(QUESTIONS)]), 100, SearchFilters())
            times.append(time.perf_counter() - started)
    return percentiles_ms(times)


def fmt(pair: tuple[float, float]) -> list[str]:
    return [f"{pair[0]:.0f}", f"{pair[1]:.0f}"]


def load(url: str, clients: int, seconds: int) -> list[str]:
    async def run() -> tuple[int, int, list[float]]:
        done, errors, times = 0, 0, []
        deadline = time.perf_counter() + seconds

        async def client_loop(client: httpx.AsyncClient, index: int) -> None:
            nonlocal done, errors
            i = index
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.post("/v1/search", json={"query": QUESTIONS[i % len(QUESTIONS)], "top_k": 5})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                times.append(time.perf_counter() - started)
                done += 1
                errors += not ok
                i += 1

        async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=clients)) as client:
            await asyncio.gather(*(client_loop(client, i) for i in range(clients)))
        return done, errors, times

    started = time.perf_counter()
    done, errors, times = asyncio.run(run())
    elapsed = time.perf_counter() - started
    p50, p95 = percentiles_ms(times)
    return [f"{done / elapsed:.1f}", str(errors), f"{p50:.0f}", f"{p95:.0f}"]


def chroma_server_mode(data: Path, args) -> dict:
    """The same store behind `chroma run`, two API workers, BM25 rebuilt from Chroma at start."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = subprocess.Popen(
        [str(BIN / "chroma"), "run", "--path", str(data / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(120):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        with Server(data, workers=args.workers, KB_CHROMA_URL=f"http://127.0.0.1:{port}") as server:
            search = http_latencies(server.url, "/v1/search", 60)
            result = {"start": server.start_seconds, "search": search, "load": load(server.url, args.clients, args.seconds)}
            body = b"# Zeppelin hangars\n\nZeppelin hangars and lighthouse beacons, a write made through one worker.\n"
            httpx.post(f"{server.url}/v1/documents", files={"file": ("zeppelin.md", body)}, timeout=300).raise_for_status()
            started, streak = time.perf_counter(), 0
            while streak < 20 and time.perf_counter() - started < 120:
                with httpx.Client(timeout=60) as fresh:
                    hits = fresh.post(f"{server.url}/v1/search", json={"query": "zeppelin hangars lighthouse beacons", "top_k": 1}).json()["results"]
                streak = streak + 1 if hits and hits[0]["doc_id"] == "zeppelin.md" else 0
            result["visible"] = time.perf_counter() - started
            return result
    finally:
        chroma.terminate()
        chroma.wait(timeout=30)


def llama_index_rows(folder: Path, embedder) -> list[list[str]]:
    """VectorStoreIndex.from_documents over a ChromaVectorStore with our embedder, vs `kb ingest`."""
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        documents = SimpleDirectoryReader(str(folder)).load_data()
        client = chromadb.PersistentClient(path=tmp)
        store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("quickstart"))
        splitter = SentenceSplitter(chunk_size=256, chunk_overlap=20)  # the model's window; its default 1024 would be truncated
        index = VectorStoreIndex.from_documents(
            documents, storage_context=StorageContext.from_defaults(vector_store=store), embed_model=embedder, transformations=[splitter]
        )
        llama_seconds = time.perf_counter() - started
        llama_nodes = len(index.docstore.docs) or store._collection.count()
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Settings(data_dir=Path(tmp)))
        kb.embedder.embed(["warm up"])  # loaded beforehand, like the quick-start's embedder
        started = time.perf_counter()
        report = ingest_paths([folder], kb).model_dump()
        ours = time.perf_counter() - started
    return [
        [
            "llama-index VectorStoreIndex.from_documents + ChromaVectorStore",
            str(llama_nodes),
            f"{llama_seconds:.1f}",
            f"{llama_nodes / llama_seconds:.0f}",
            "1.00x",
        ],
        [
            "kb ingest (same files, same embedder)",
            str(report["passages"]),
            f"{ours:.1f}",
            f"{report['passages'] / ours:.0f}",
            f"{llama_seconds / ours:.2f}x",
        ],
    ]


if __name__ == "__main__":
    main()
