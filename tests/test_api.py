"""The HTTP API through a real uvicorn server on a free port."""

from __future__ import annotations

import httpx
import pytest
from conftest import KBServer, ingest_into, write_small_corpus

PASSAGE_KEYS = {"n", "text", "score", "doc_id", "title", "kind", "source", "speaker", "speakers", "start", "end", "page", "section", "chunk_id"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """One server for the module: these tests only read."""
    root = tmp_path_factory.mktemp("api")
    ingest_into(root / "api-kb", [write_small_corpus(root / "talks")])
    started = KBServer(root / "api-kb")
    yield started.url
    started.stop()


def test_health_counts_documents_and_passages(server: str) -> None:
    body = httpx.get(f"{server}/v1/health").json()
    assert body["status"] == "ok" and body["documents"] == 3 and body["passages"] >= 3


def test_search_returns_contract_passages(server: str) -> None:
    response = httpx.post(f"{server}/v1/search", json={"query": "who owns technical direction", "top_k": 2, "filters": {"kind": "transcript"}})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "who owns technical direction" and len(body["results"]) == 2
    assert all(set(p) >= PASSAGE_KEYS and p["kind"] == "transcript" for p in body["results"])


def test_search_modes_rank_by_meaning_keywords_or_both(server: str) -> None:
    """A keyword search (sparse) scores only passages holding the words; meaning alone (dense) also ranks the rest."""
    ranked = {
        mode: httpx.post(f"{server}/v1/search", json={"query": "zebrafish", "top_k": 3, "mode": mode}).json()["results"]
        for mode in ("hybrid", "dense", "sparse")
    }
    assert ranked["sparse"] == []  # no stored passage says it
    assert len(ranked["dense"]) == 3 and len(ranked["hybrid"]) == 3


def test_ask_returns_an_answer_with_resolvable_citations(server: str) -> None:
    body = httpx.post(f"{server}/v1/ask", json={"question": "who owns technical direction?", "max_words": 60}).json()
    assert set(body) >= {"question", "answer", "citations"}
    numbers = {c["n"] for c in body["citations"]}
    assert numbers and all(f"[{n}]" in body["answer"] for n in numbers)


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/v1/search", {"query": "x", "top_k": 0}),
        ("/v1/search", {"query": "x", "top_k": 51}),
        ("/v1/search", {"top_k": 5}),
        ("/v1/ask", {"question": "x", "max_words": 10}),
        ("/v1/search", {"query": "x", "filters": {"kind": "poem"}}),
        ("/v1/search", {"query": "x", "mode": "fuzzy"}),
    ],
)
def test_bad_requests_get_422_in_the_contract_shape(server: str, path: str, payload: dict) -> None:
    response = httpx.post(f"{server}{path}", json=payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["message"] and "Traceback" not in response.text


def test_unknown_paths_and_blank_queries_use_the_error_shape(server: str) -> None:
    missing = httpx.get(f"{server}/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    blank = httpx.post(f"{server}/v1/search", json={"query": "   "})
    assert blank.status_code == 422 and "query: is blank" in blank.json()["error"]["message"]


def test_openapi_documents_the_endpoints(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    assert {"/v1/health", "/v1/search", "/v1/ask"} <= set(spec["paths"])


def test_the_contract_values_come_from_one_place(server: str) -> None:
    from importlib import metadata

    from kb import contract

    body = httpx.get(f"{server}/v1/contract").json()
    assert [k["value"] for k in body["kinds"]] == list(contract.KINDS) and body["formats"] == sorted(contract.FORMATS)
    assert body["top_k"] == {"min": contract.TOP_K.low, "max": contract.TOP_K.high, "default": contract.TOP_K.default}
    assert body["version"] == metadata.version("panel-kb") == httpx.get(f"{server}/openapi.json").json()["info"]["version"]
    too_many = httpx.post(f"{server}/v1/search", json={"query": "x", "top_k": contract.TOP_K.high + 1}).json()["error"]
    too_long = httpx.post(f"{server}/v1/ask", json={"question": "x", "max_words": contract.MAX_WORDS.high + 1}).json()["error"]
    assert too_many["code"] == too_long["code"] == "invalid_request"  # one spelling, whichever layer refuses
