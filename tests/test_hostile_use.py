"""What an attacker or a careless client would try against a running server and the ingest path."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import KB_COMMAND, ingest_into, kb_env, write

from ingest.chunking.packing import Piece, split_oversize

NEW_ESSAY = b"# Injected\n\nA page on another site tried to store this.\n"


@pytest.fixture
def stored(small_corpus: Path, tmp_path: Path) -> Path:
    data = tmp_path / "hostile-use-kb"
    ingest_into(data, [small_corpus])
    return data


def _upload(url: str, headers: dict | None = None, name: str = "injected.md") -> httpx.Response:
    return httpx.post(f"{url}/v1/documents", files={"file": (name, NEW_ESSAY)}, headers=headers or {}, timeout=60)


def test_pages_on_other_sites_cannot_write_to_a_keyless_server(stored: Path, serve) -> None:
    """The loopback rule sees only the peer: a page on another local origin posting no-cors used to get in."""
    server = serve(stored)
    for headers in (
        {"Origin": "http://localhost:3000"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"},
    ):
        refused = _upload(server.url, headers)
        assert refused.status_code == 403, (headers, refused.text)
        assert "KB_CORS_ORIGINS" in refused.json()["error"]["message"]
        assert httpx.request("DELETE", f"{server.url}/v1/documents/talk.vtt", headers=headers).status_code == 403
    assert httpx.get(f"{server.url}/v1/documents/injected.md").status_code == 404
    assert _upload(server.url, {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}).status_code == 200  # its own page
    assert _upload(server.url, name="plain.md").status_code == 200  # curl and the kb command send neither header


def test_an_allowed_origin_writes_only_with_the_key(stored: Path, serve) -> None:
    server = serve(stored, KB_API_KEY="writer-key", KB_CORS_ORIGINS="https://wiki.example")
    wiki = {"Origin": "https://wiki.example"}
    assert _upload(server.url, wiki).status_code == 401
    assert _upload(server.url, {**wiki, "Authorization": "Bearer writer-key"}).status_code == 200
    assert _upload(server.url, {"Origin": "https://elsewhere.example", "Authorization": "Bearer writer-key"}, "other.md").status_code == 403


def test_a_write_without_the_key_is_refused_before_its_body_is_read(stored: Path, serve) -> None:
    server = serve(stored, KB_API_KEY="writer-key")
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        declared = 20 << 20  # 20 MB announced, 1 KB sent: an answer can only come before the body
        sock.sendall(
            f"POST /v1/documents HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {declared}\r\n\r\n".encode()
            + b"-" * 1024
        )
        started = time.monotonic()
        answer = ""
        while '"unauthorized"' not in answer and time.monotonic() - started < 5:  # headers and body may come apart
            chunk = sock.recv(4096).decode(errors="replace")
            if not chunk:
                break
            answer += chunk
    assert answer.startswith("HTTP/1.1 401"), answer[:200]
    assert time.monotonic() - started < 5
    assert '"code":"unauthorized"' in answer.replace(" ", "")


def test_forwarded_headers_are_believed_only_from_named_proxies(stored: Path, serve) -> None:
    def statuses(url: str) -> list[int]:
        return [httpx.post(f"{url}/v1/search", json={"query": "staff"}, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(8)]

    limited = serve(stored, KB_RATE_LIMIT="5/minute")
    assert statuses(limited.url).count(429) == 3  # one client, whatever it claims to be
    limited.stop()
    behind_proxy = serve(stored, KB_RATE_LIMIT="5/minute", KB_TRUSTED_PROXIES="127.0.0.1")
    assert statuses(behind_proxy.url) == [200] * 8  # the named proxy says these are eight clients


def test_every_answer_is_locked_down_and_head_and_preflights_answer_properly(stored: Path, serve) -> None:
    server = serve(stored)
    docs = httpx.get(f"{server.url}/docs")
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"] and "script-src 'self'" in docs.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in httpx.get(f"{server.url}/redoc").headers["content-security-policy"]
    for path in ("/v1/health", "/v1/documents", "/", "/widget.js", "/openapi.json"):
        assert httpx.get(f"{server.url}{path}").headers["x-content-type-options"] == "nosniff", path
        head = httpx.head(f"{server.url}{path}")
        assert head.status_code == 200 and head.content == b"", path
    for _ in range(2):
        preflight = httpx.options(f"{server.url}/v1/search", headers={"Origin": "https://wiki.example", "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 403 and preflight.headers["content-type"] == "application/json"
        assert "KB_CORS_ORIGINS" in preflight.json()["error"]["message"]
    for _ in range(2):  # a GET needs no preflight: answered, hidden from the page by the browser, and logged
        assert httpx.get(f"{server.url}/v1/documents", headers={"Origin": "https://team.example"}).status_code == 200
    own = server.url.removeprefix("http://")
    httpx.post(f"{server.url}/v1/search", json={"query": "pager"}, headers={"Origin": server.url, "Host": own})  # the page itself
    time.sleep(0.5)
    log = server.log.read_text()
    assert log.count("refused cross-origin request from https://wiki.example") == 1  # once per origin
    assert log.count("refused cross-origin request from https://team.example: add it to KB_CORS_ORIGINS") == 1
    assert log.count("refused cross-origin request") == 2  # the server's own page is not another origin


def test_serving_beyond_this_machine_without_keys_says_so(stored: Path, serve) -> None:
    server = serve(stored, host="0.0.0.0")
    said = " ".join(server.log.read_text().split())
    assert "Warning: listening on 0.0.0.0" in said and "set KB_ALLOWED_HOSTS" in said


def test_a_rebinding_page_is_refused_by_its_host_name(stored: Path, serve) -> None:
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own name as Host and a matching Origin,
    so the write looks same-origin to a server without keys; the Host names a server it is not."""
    server = serve(stored)
    port = server.url.rsplit(":", 1)[1]
    rebound = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}", "Sec-Fetch-Site": "same-origin"}
    refused = _upload(server.url, rebound)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_host"
    assert "KB_ALLOWED_HOSTS" in refused.json()["error"]["message"]
    for method, path in (("DELETE", "/v1/documents/talk.vtt"), ("GET", "/v1/documents"), ("POST", "/mcp")):
        assert httpx.request(method, f"{server.url}{path}", headers=rebound).status_code == 400, (method, path)
    assert httpx.get(f"{server.url}/v1/documents/talk.vtt").status_code == 200  # nothing was deleted
    for name in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", f"{socket.gethostname()}:{port}", "app.localhost"):
        assert httpx.get(f"{server.url}/v1/health", headers={"Host": name}).status_code == 200, name
    server.stop()
    named = serve(stored, KB_ALLOWED_HOSTS="kb.example.com, .corp.example")
    port = named.url.rsplit(":", 1)[1]
    for name, status in (("kb.example.com", 200), ("wiki.corp.example", 200), ("corp.example", 200), ("evil.example", 400), ("example.com", 400)):
        assert httpx.get(f"{named.url}/v1/health", headers={"Host": f"{name}:{port}"}).status_code == status, name
    assert "refused a request addressed to 'evil.example'" in named.log.read_text()


def test_names_with_direction_changing_characters_are_refused(stored: Path, serve, tmp_path: Path) -> None:
    disguised = "report\u202egpj.md"
    server = serve(stored)
    refused = _upload(server.url, name=disguised)
    assert refused.status_code == 422 and "U+202E" in refused.json()["error"]["message"]
    server.stop()
    folder = tmp_path / "odd-names"
    write(folder / disguised, "# Disguised\n\nA name that reads backwards.\n")
    write(folder / "fine.md", "# Fine\n\nA plain name.\n")
    result = subprocess.run([KB_COMMAND, "ingest", str(folder), "--json"], env=kb_env(stored), capture_output=True, text=True, timeout=120)
    files = {f["doc_id"]: f for f in json.loads(result.stdout)["files"]}
    assert result.returncode == 1 and files["fine.md"]["status"] == "added"
    assert files[disguised]["status"] == "failed" and "U+202E" in files[disguised]["error"]


def test_cutting_a_text_with_no_sentence_ends_counts_each_word_once() -> None:
    """A 500 KB upload with no full stops kept a writer busy for minutes: the cut re-tokenized the growing run per word."""
    from kb import Settings
    from kb.embedding import get_embedder

    embedder = get_embedder(Settings())
    calls = 0

    def count(text: str) -> int:
        nonlocal calls
        calls += 1
        return embedder.count_tokens(text)

    words = [f"word{i % 3000}" for i in range(20_000)]
    text = " ".join(words)
    parts = split_oversize(Piece(text, embedder.count_tokens(text)), 256, count)
    assert all(embedder.count_tokens(p.text) <= 256 for p in parts)
    assert " ".join(p.text for p in parts) == text
    assert calls < 3000 + 3 * len(parts) + 10, calls  # distinct words, plus each part once or twice


def test_a_file_that_would_make_too_many_passages_is_refused_with_the_setting(tmp_path: Path) -> None:
    from ingest import ingest_paths
    from kb import KnowledgeBase, Settings

    paragraph = "Staff engineers write design notes that other teams can review before the work starts. " * 8
    essay = write(tmp_path / "long" / "long.md", "# Long\n\n" + "\n\n".join(f"## Part {i}\n\n{paragraph}" for i in range(12)))
    with KnowledgeBase(Settings(data_dir=tmp_path / "capped-kb", max_passages=5)) as kb:
        report = ingest_paths([essay], kb)
    assert report.failed == 1 and "KB_MAX_PASSAGES" in report.files[0].error
