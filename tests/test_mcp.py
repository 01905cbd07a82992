"""The MCP server with the SDK's own client: over stdio against `kb mcp`, over HTTP against a running `kb serve`."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from tests.conftest import CORPUS, KB_COMMAND, ingest_into, kb_env

mcp = pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

READ_TOOLS = {"search", "ask", "list_documents", "get_document", "list_people", "get_person"}
PANEL = "what-staff-engineers-do-differently.vtt"


@pytest.fixture(scope="module")
def panels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("mcp") / "data"
    assert ingest_into(data, [CORPUS / "panels"]).failed == 0
    return data


def _stdio(data: Path, *args: str) -> StdioServerParameters:
    return StdioServerParameters(command=KB_COMMAND, args=["mcp", *args], env=kb_env(data))


def _run(server, session) -> dict:
    """Connect the SDK's client to `server` and run `session(client)`; what it returns."""
    result: dict = {}

    async def main() -> None:
        async with Client(server) as client:
            result.update(await session(client))

    anyio.run(main)
    return result


async def _read_tools(client) -> dict:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    found = await client.call_tool("search", {"query": "sponsorship", "top_k": 3, "speaker": "Fatima Zahra", "kind": "transcript"})
    answer = await client.call_tool("ask", {"question": "what did Maya Chen say about sponsorship", "max_words": 80})
    listed = await client.call_tool("list_documents", {"speaker": "Maya Chen"})
    document = await client.call_tool("get_document", {"doc_id": PANEL, "limit": 3})
    missing = await client.call_tool("get_document", {"doc_id": "nope.md"})
    bad = await client.call_tool("search", {"query": "", "top_k": 999})
    people = await client.call_tool("list_people", {"kind": "transcript"})
    person = await client.call_tool("get_person", {"person": "maya chen"})
    by_person = await client.call_tool("search", {"query": "sponsorship", "top_k": 3, "person": "fatima zahra"})
    seen = {"tools": tools, "found": found, "answer": answer, "listed": listed, "document": document, "missing": missing, "bad": bad}
    return {**seen, "people": people, "person": person, "by_person": by_person}


def _check_read_tools(seen: dict) -> None:
    assert set(seen["tools"]) == READ_TOOLS
    assert all(len(tool.description or "") > 60 and tool.input_schema["properties"] for tool in seen["tools"].values())
    results = seen["found"].structured_content["results"]
    assert (
        not seen["found"].is_error and results and all("Fatima Zahra" in r["speakers"] and r["kind"] == "transcript" and r["start"] for r in results)
    )
    answer = seen["answer"].structured_content
    assert answer["answered"] and "[1]" in answer["answer"] and "Maya Chen" in answer["answer"]
    assert any("Maya Chen" in c["speakers"] and c["start"] for c in answer["citations"])
    assert "principal engineer in another org" in answer["answer"]  # her answer to "Maya, who sponsored you?"
    documents = seen["listed"].structured_content["result"]
    assert documents and all("Maya Chen" in d["speakers"] for d in documents)
    passages = seen["document"].structured_content
    assert passages["document"]["doc_id"] == PANEL and len(passages["passages"]) == 3 and passages["passages"][0]["turns"]
    assert seen["missing"].is_error and "no document with doc_id 'nope.md'" in seen["missing"].content[0].text
    assert seen["bad"].is_error and "top_k" in seen["bad"].content[0].text
    people = {p["name"]: p for p in seen["people"].structured_content["result"]}
    assert people["Maya Chen"]["passages"] >= 1 and people["Maya Chen"]["kinds"] == ["transcript"]
    page = seen["person"].structured_content
    assert page["name"] == "Maya Chen" and page["in_documents"] and page["in_documents"][0]["lines"] and page["topics"]
    by_person = seen["by_person"].structured_content["results"]
    assert by_person and all("Fatima Zahra" in r["speakers"] for r in by_person)  # a person's name in any case


def test_stdio_serves_every_read_tool_with_filters_and_errors(panels: Path) -> None:
    _check_read_tools(_run(_stdio(panels), _read_tools))


@pytest.mark.slow  # subprocesses and servers: in make test, not make quick
def test_stdio_write_tools_only_when_asked_and_through_the_ingest_path(panels: Path, tmp_path: Path) -> None:
    async def session(client) -> dict:
        names = {tool.name for tool in (await client.list_tools()).tools}
        added = await client.call_tool(
            "add_document", {"name": "notes/pager.md", "text": "# Pager\n\nOur pager rotation lasts one week per quarter."}
        )
        again = await client.call_tool(
            "add_document", {"name": "notes/pager.md", "text": "# Pager\n\nOur pager rotation lasts one week per quarter."}
        )
        found = await client.call_tool("search", {"query": "pager rotation", "top_k": 1})
        broken = await client.call_tool("add_document", {"name": "notes/slides.pptx", "text": "x"})
        deleted = await client.call_tool("delete_document", {"doc_id": "notes/pager.md"})
        gone = await client.call_tool("delete_document", {"doc_id": "notes/pager.md"})
        return {"names": names, "added": added, "again": again, "found": found, "broken": broken, "deleted": deleted, "gone": gone}

    data = tmp_path / "data"
    assert ingest_into(data, [CORPUS / "essays"]).failed == 0
    seen = _run(_stdio(data, "--writes"), session)
    assert seen["names"] == READ_TOOLS | {"add_document", "delete_document"}
    assert seen["added"].structured_content["added"] == 1 and seen["again"].structured_content["unchanged"] == 1
    assert seen["found"].structured_content["results"][0]["doc_id"] == "notes/pager.md"
    assert seen["broken"].is_error and ".pptx" in seen["broken"].content[0].text  # refused by the upload's name rule
    assert seen["deleted"].structured_content == {"deleted": "notes/pager.md"} and seen["gone"].is_error
    read_only = _run(_stdio(data), lambda client: _names(client))
    assert read_only["names"] == READ_TOOLS


async def _names(client) -> dict:
    return {"names": {tool.name for tool in (await client.list_tools()).tools}}


def _http(url: str, key: str | None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    import httpx2

    return streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers, timeout=60))


def test_http_mcp_in_kb_serve_follows_the_read_and_write_keys(panels: Path, serve) -> None:
    server = serve(panels, KB_READ_KEY="read-key", KB_API_KEY="write-key")
    refused = httpx.post(f"{server.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=30)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    wrong = httpx.post(f"{server.url}/mcp", json={}, headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 403
    _check_read_tools(_run(_http(server.url, "read-key"), _read_tools))
    assert _run(_http(server.url, "write-key"), _names)["names"] == READ_TOOLS | {"add_document", "delete_document"}


def test_http_mcp_never_offers_writes_without_a_write_key(panels: Path, serve) -> None:
    server = serve(panels)  # open reads, writes only from this machine by the API's loopback rule
    assert _run(_http(server.url, None), _names)["names"] == READ_TOOLS


BAD_NAMES = ["../../etc/evil.md", "/abs/evil.md", "a/\u202egpj.md", ".hidden.md", "notes/.hidden.md", "line\nbreak.md", "x" * 600 + ".md"]


async def _add_bad_names(client) -> dict:
    results = [await client.call_tool("add_document", {"name": name, "text": "# Evil\n\nStored under a bad name."}) for name in BAD_NAMES]
    listed = await client.call_tool("list_documents", {})
    return {"results": results, "listed": listed}


def _check_refused(seen: dict) -> None:
    for name, result in zip(BAD_NAMES, seen["results"]):
        assert result.is_error, name
        assert "name" in result.content[0].text, (name, result.content[0].text)
    stored = {doc["doc_id"] for doc in seen["listed"].structured_content["result"]}
    assert "feedback-that-lands.md" in stored  # the listing is real
    assert not any("evil" in doc_id or "break" in doc_id or "gpj" in doc_id or doc_id.startswith("x" * 10) for doc_id in stored)


def test_mcp_names_get_the_uploads_checks_over_stdio_and_http(tmp_path: Path, serve) -> None:
    """add_document skipped the upload's name checks: traversal, absolute, direction-changing, hidden, line-break and
    overlong names were stored through `kb mcp --writes` and /mcp with the write key."""
    data = tmp_path / "data"
    assert ingest_into(data, [CORPUS / "essays"]).failed == 0
    _check_refused(_run(_stdio(data, "--writes"), _add_bad_names))
    server = serve(data, KB_API_KEY="write-key")
    _check_refused(_run(_http(server.url, "write-key"), _add_bad_names))
