"""Shared fixtures: temp stores (embedded and a real `chroma run` server) and small real files.

Every test gets its own KB_DATA_DIR and runs in a temp working directory, so a
developer's own `.kb` or `.env` is never touched. The embedding model is the
real bundled one (built once per machine into ~/.cache/panel-kb).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir and working dir per test; no KB_* leaks in from the shell."""
    for name in list(os.environ):
        if name.startswith("KB_") and name != "KB_MODEL_CACHE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "kbdata"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real Chroma server (`chroma run`, shipped with chromadb) on a free loopback port."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("the `chroma` command is missing: `pip install -e .[test]` installs it with chromadb")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "wb")  # noqa: SIM115  # the server writes to it for the whole session
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"chroma run exited early: {(path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("chroma run did not answer within 60 s")
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test against the embedded store and against a real Chroma server."""
    if request.param == "server":
        monkeypatch.setenv("KB_CHROMA_URL", request.getfixturevalue("chroma_server"))
        # One server serves the whole session: a collection per test keeps tests apart.
        monkeypatch.setenv("KB_COLLECTION", f"t-{uuid.uuid4().hex[:12]}")
    return request.param


@pytest.fixture
def kb():
    from kb import KnowledgeBase, Settings

    return KnowledgeBase(Settings())


@pytest.fixture(scope="session")
def corpus_kb(tmp_path_factory: pytest.TempPathFactory):
    """The bundled corpus ingested once into an embedded store, for read-only tests."""
    from ingest import ingest_paths
    from kb import KnowledgeBase, Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("corpus-kb"))
    knowledge_base = KnowledgeBase(settings)
    report = ingest_paths([CORPUS], knowledge_base)
    assert report.failed == 0, [f.error for f in report.files if f.error]
    return knowledge_base


KB_COMMAND = str(Path(sys.executable).parent / "kb")


def kb_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a `kb` subprocess on one data dir: the shell's KB_* settings left out."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith("KB_") or k == "KB_MODEL_CACHE"}
    return {**variables, "KB_DATA_DIR": str(data_dir), **extra}


def passage_ids_by_doc(data_dir: Path) -> dict[str, list[str]]:
    """doc_id -> its stored passage ids, sorted: what two stores must share to be the same."""
    from kb import KnowledgeBase, Settings

    with KnowledgeBase(Settings(data_dir=data_dir)) as kb:
        return {doc.doc_id: sorted(kb.store.passage_ids(doc.doc_id)) for doc in kb.documents()}


def ingest_into(data_dir: Path, paths: list[Path], **options):
    """Ingest in this process, then close the store so that a `kb serve` or `kb` subprocess may open it."""
    from ingest import ingest_paths
    from kb import KnowledgeBase, Settings

    with KnowledgeBase(Settings(data_dir=data_dir)) as kb:
        return ingest_paths(paths, kb, **options)


class KBServer:
    """`kb serve` in a subprocess on a free port: the real uvicorn + FastAPI the users run."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", workers: str = "1", **env: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        variables = kb_env(data_dir, **env)
        kb = KB_COMMAND
        self.log = data_dir.parent / f"serve-{self.port}.log"
        self._log_file = open(self.log, "wb")  # noqa: SIM115  # closed by stop(), when the server is gone
        self.process = subprocess.Popen(
            [kb, "serve", "--host", host, "--port", str(self.port), "--workers", workers],
            env=variables,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"{self.url}/v1/health", timeout=1)
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail(f"kb serve did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log_file.close()


@pytest.fixture
def serve():
    """Start `kb serve` over a data dir (with extra KB_* settings); stopped after the test."""
    started: list[KBServer] = []

    def start(data_dir: Path, host: str = "127.0.0.1", workers: str = "1", **env: str) -> KBServer:
        server = KBServer(data_dir, host, workers, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def make_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    """A real multi-page PDF, one string per page, made with reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    if title:
        pdf.setTitle(title)
    for text in pages:
        y = A4[1] - 72
        for line in text.splitlines():
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


PANEL_TXT = """---
title: Staff panel
---
[00:00:05] Maya Chen: Staff engineers spend most of their week writing design documents and aligning teams across the organisation.
[00:01:10] Sam Ortiz: I would add that they pick the problems nobody owns, like the flaky build that costs every team hours each week.
[00:02:00] Maya Chen: Yes.
[00:02:04] Lee Park: Sponsorship matters too: someone has to say your name in rooms you are not in.
"""

ESSAY_MD = """---
title: On feedback
author: Test Author
---
# On feedback

Feedback should be specific, timely and kind.

## Giving feedback

Describe the situation, the behaviour and the impact, then ask a question.

## Receiving feedback

Thank the person, ask clarifying questions and take time before responding.
"""

TALK_VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Priya Raman>Managers grow people and own delivery commitments.

00:00:04.500 --> 00:00:08.000
The staff engineer owns technical direction.

00:00:09.000 --> 00:00:12.000
<v Daniel Okafor>And the two should meet every week.
"""


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three small files in three formats under talks/."""
    return write_small_corpus(tmp_path / "talks")


def write_small_corpus(root: Path) -> Path:
    write(root / "2026" / "staff-panel.txt", PANEL_TXT)
    write(root / "essays" / "feedback.md", ESSAY_MD)
    write(root / "talk.vtt", TALK_VTT)
    return root
