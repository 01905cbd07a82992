"""Documents, auth, limits, CORS and docs of the HTTP API, through real `kb serve` processes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import ingest_into
from fastapi.testclient import TestClient

from api.main import create_app
from kb import Settings

NEW_PANEL = """---
title: On-call without burnout
url: https://media.example/oncall.mp4
---
[00:00:05] Priya Raman: Our rotation had a rule that nobody carried the pager two weeks in a row.
[00:00:40] Tom Becker: Handoffs happened on Tuesdays so nobody started a rotation tired from a weekend.
"""


def _error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def _upload(url: str, name: str, data: bytes | str, **kw) -> httpx.Response:
    content = data.encode() if isinstance(data, str) else data
    return httpx.post(f"{url}/v1/documents", files={"file": (name, content)}, timeout=60, **kw)


@pytest.fixture
def store(small_corpus: Path, tmp_path: Path) -> Path:
    data = tmp_path / "docs-kb"
    ingest_into(data, [small_corpus])
    return data


@pytest.fixture
def server(store: Path, serve) -> str:
    return serve(store, KB_MAX_UPLOAD_MB="0.05", KB_CORS_ORIGINS="http://intranet.example").url


def test_documents_upload_search_replace_and_delete(server: str) -> None:
    listed = httpx.get(f"{server}/v1/documents").json()["documents"]
    assert [d["doc_id"] for d in listed] == ["2026/staff-panel.txt", "essays/feedback.md", "talk.vtt"]
    assert {"doc_id", "title", "kind", "passages", "ingested_at"} <= set(listed[0])

    report = _upload(server, "oncall.txt", NEW_PANEL).json()
    assert (report["added"], report["failed"]) == (1, 0)
    assert report["files"] == [{"doc_id": "oncall.txt", "status": "added", "kind": "transcript", "passages": report["passages"], "error": None}]
    hit = httpx.post(f"{server}/v1/search", json={"query": "pager rotation two weeks in a row", "top_k": 1}).json()["results"][0]
    assert hit["doc_id"] == "oncall.txt" and hit["speaker"] == "Priya Raman" and hit["url"] == "https://media.example/oncall.mp4"
    assert httpx.get(f"{server}/v1/documents/oncall.txt").json()["speakers"] == ["Priya Raman", "Tom Becker"]

    assert _upload(server, "oncall.txt", NEW_PANEL).json()["unchanged"] == 1
    changed = NEW_PANEL.replace("Tuesdays", "Wednesdays")
    assert _upload(server, "oncall.txt", changed).json()["updated"] == 1

    assert httpx.delete(f"{server}/v1/documents/oncall.txt").json() == {"deleted": "oncall.txt"}
    results = httpx.post(f"{server}/v1/search", json={"query": "pager rotation two weeks in a row", "top_k": 5}).json()["results"]
    assert all(p["doc_id"] != "oncall.txt" for p in results)
    _error(httpx.delete(f"{server}/v1/documents/oncall.txt"), 404, "not_found")
    assert httpx.get(f"{server}/v1/health").json()["documents"] == 3


def test_an_upload_maps_labels_to_people_and_refuses_a_bad_mapping(server: str) -> None:
    captions = "1\n00:00:01,000 --> 00:00:03,000\nSPEAKER_00: We moved billing first.\n\n2\n00:00:03,000 --> 00:00:05,000\nSPEAKER_01: It unblocked search.\n"
    files = {"file": ("retro.srt", captions.encode())}
    report = httpx.post(
        f"{server}/v1/documents", files=files, data={"speaker_names": json.dumps({"SPEAKER_00": "Maya Chen", "SPEAKER_01": "Lee Park"})}
    ).json()
    assert report["added"] == 1
    assert httpx.get(f"{server}/v1/documents/retro.srt").json()["speakers"] == ["Maya Chen", "Lee Park"]
    for bad in ("not json", '["SPEAKER_00"]', '{"SPEAKER_00": 3}'):
        response = httpx.post(f"{server}/v1/documents", files=files, data={"speaker_names": bad})
        assert "speaker_names" in _error(response, 422, "invalid_request")["message"]


def test_doc_ids_with_slashes_are_routed_whole(server: str) -> None:
    report = httpx.post(
        f"{server}/v1/documents", files={"file": ("x.txt", NEW_PANEL.encode())}, data={"doc_id": "2027/q1/oncall.txt", "kind": "transcript"}
    ).json()
    assert report["files"][0]["doc_id"] == "2027/q1/oncall.txt"
    assert httpx.get(f"{server}/v1/documents/2027/q1/oncall.txt").json()["title"] == "On-call without burnout"
    assert httpx.delete(f"{server}/v1/documents/2027/q1/oncall.txt").json() == {"deleted": "2027/q1/oncall.txt"}
    assert httpx.delete(f"{server}/v1/documents/2026/staff-panel.txt").json() == {"deleted": "2026/staff-panel.txt"}
    _error(httpx.get(f"{server}/v1/documents/2026/staff-panel.txt"), 404, "not_found")


def test_upload_file_names_cannot_escape_or_hide(server: str) -> None:
    report = _upload(server, "../../etc/oncall.txt", NEW_PANEL).json()
    assert report["files"][0]["doc_id"] == "oncall.txt"  # directory parts of a file name are dropped
    for bad in ("../oncall.txt", "/abs/oncall.txt", "a/./b.txt", ".hidden.txt", "a\\b.txt"):
        response = httpx.post(f"{server}/v1/documents", files={"file": ("x.txt", NEW_PANEL.encode())}, data={"doc_id": bad})
        assert "doc_id" in _error(response, 422, "invalid_request")["message"]


def test_upload_errors_use_the_contract_shape(server: str, store: Path) -> None:
    assert "unsupported file type '.exe'" in _error(_upload(server, "tool.exe", b"MZ\x90\x00"), 415, "unsupported_media_type")["message"]
    response = httpx.post(f"{server}/v1/documents", json={"file": "x"})
    assert "multipart/form-data" in _error(response, 415)["message"]
    too_big = "Priya Raman: " + "word " * 20_000  # ~100 KB against a 0.05 MB limit
    assert "KB_MAX_UPLOAD_MB" in _error(_upload(server, "long.txt", too_big), 413, "too_large")["message"]
    broken = _error(_upload(server, "broken.pdf", b"%PDF-1.4 this is not a pdf"), 422, "unreadable_document")
    assert broken["message"].startswith("broken.pdf: ") and not broken["message"].startswith("broken.pdf: broken.pdf")
    _error(httpx.post(f"{server}/v1/documents", files={"other": ("a.txt", b"x")}), 422, "invalid_request")
    _error(httpx.post(f"{server}/v1/search", json={"query": "x" * 2001}), 422, "invalid_request")
    _error(httpx.post(f"{server}/v1/search", content=b"{" + b" " * (2 << 20) + b"}", headers={"content-type": "application/json"}), 413, "too_large")
    # Nothing stored before was touched by the failures.
    assert httpx.get(f"{server}/v1/health").json()["documents"] == 3


def test_writes_need_the_api_key_when_set_and_reads_stay_open(store: Path, serve) -> None:
    url = serve(store, KB_API_KEY="s3cret-key").url
    missing = _upload(url, "oncall.txt", NEW_PANEL)
    assert "Authorization: Bearer" in _error(missing, 401, "unauthorized")["message"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = _upload(url, "oncall.txt", NEW_PANEL, headers={"Authorization": "Bearer guess"})
    assert "s3cret" not in _error(wrong, 403, "forbidden")["message"]
    _error(httpx.delete(f"{url}/v1/documents/talk.vtt"), 401)
    _error(httpx.delete(f"{url}/v1/documents/talk.vtt", headers={"Authorization": "Bearer nope"}), 403)
    good = {"Authorization": "Bearer s3cret-key"}
    assert _upload(url, "oncall.txt", NEW_PANEL, headers=good).json()["added"] == 1
    assert httpx.delete(f"{url}/v1/documents/talk.vtt", headers=good).status_code == 200
    assert httpx.post(f"{url}/v1/search", json={"query": "pager"}).status_code == 200
    assert httpx.get(f"{url}/v1/documents").status_code == 200


def test_read_key_guards_reads_but_not_health(store: Path, serve) -> None:
    url = serve(store, KB_API_KEY="writer", KB_READ_KEY="reader").url
    _error(httpx.post(f"{url}/v1/search", json={"query": "pager"}), 401)
    _error(httpx.post(f"{url}/v1/ask", json={"question": "pager"}, headers={"Authorization": "Bearer nope"}), 403)
    _error(httpx.get(f"{url}/v1/documents"), 401)
    for key in ("reader", "writer"):
        assert httpx.post(f"{url}/v1/search", json={"query": "pager"}, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert httpx.get(f"{url}/v1/health").status_code == 200
    _error(_upload(url, "oncall.txt", NEW_PANEL, headers={"Authorization": "Bearer reader"}), 403)  # a read key cannot write


def _non_loopback_address() -> str | None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; this picks the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_without_a_key_writes_come_only_from_loopback(store: Path, serve) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to call from")
    server = serve(store, host="0.0.0.0")
    remote = f"http://{address}:{server.port}"
    assert httpx.post(f"{remote}/v1/search", json={"query": "pager"}).status_code == 200  # reads are open
    assert "KB_API_KEY" in _error(_upload(remote, "oncall.txt", NEW_PANEL), 403, "forbidden")["message"]
    _error(httpx.delete(f"{remote}/v1/documents/talk.vtt"), 403)
    assert _upload(server.url, "oncall.txt", NEW_PANEL).json()["added"] == 1  # the same server, from loopback


def test_loopback_rule_in_process(store: Path) -> None:
    """The same rule without a second interface: the ASGI client address decides."""
    app = create_app(Settings(data_dir=store))
    with TestClient(app, base_url="http://localhost", client=("203.0.113.9", 50000)) as remote:
        _error(remote.delete("/v1/documents/talk.vtt"), 403, "forbidden")
    with TestClient(app, base_url="http://localhost", client=("::1", 50000)) as local:
        assert local.delete("/v1/documents/talk.vtt").json() == {"deleted": "talk.vtt"}


def test_cors_allows_only_the_configured_origins(server: str) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = httpx.options(f"{server}/v1/search", headers={"Origin": "http://intranet.example", **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://intranet.example"
    denied = httpx.options(f"{server}/v1/search", headers={"Origin": "http://evil.example", **preflight})
    assert denied.status_code == 403 and "access-control-allow-origin" not in denied.headers
    assert "KB_CORS_ORIGINS" in denied.json()["error"]["message"]
    simple = httpx.post(f"{server}/v1/search", json={"query": "pager"}, headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_openapi_is_complete_and_docs_work_offline(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/v1/documents"]) and {"get", "delete"} <= set(paths["/v1/documents/{doc_id}"])
    upload = paths["/v1/documents"]["post"]
    assert {"200", "403", "409", "413", "415", "422"} <= set(upload["responses"])  # 403: the loopback rule
    assert upload["responses"]["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"file", "kind", "doc_id"} <= set(spec["components"]["schemas"][form]["properties"])
    assert {"422", "429"} <= set(paths["/v1/search"]["post"]["responses"])
    assert "401" not in paths["/v1/search"]["post"]["responses"] and "securitySchemes" not in spec.get("components", {})  # no key asked
    assert spec["components"]["schemas"]["SearchRequest"]["properties"]["query"]["examples"]
    page = httpx.get(f"{server}/docs").text
    assert "cdn" not in page.lower() and "https://" not in page
    for asset in ("/static-offline-docs/swagger-ui-bundle.js", "/static-offline-docs/swagger-ui.css"):
        assert asset in page and httpx.get(f"{server}{asset}").status_code == 200
    assert httpx.get(f"{server}/redoc").status_code == 200


def test_openapi_declares_the_bearer_key_exactly_where_the_server_asks_for_it(store: Path) -> None:
    writes_keyed = create_app(Settings(data_dir=store, api_key="w")).openapi()
    assert "HTTPBearer" in writes_keyed["components"]["securitySchemes"]
    assert writes_keyed["paths"]["/v1/documents"]["post"]["security"] and "security" not in writes_keyed["paths"]["/v1/search"]["post"]
    assert {"401", "403"} <= set(writes_keyed["paths"]["/v1/documents/{doc_id}"]["delete"]["responses"])
    all_keyed = create_app(Settings(data_dir=store, api_key="w", read_key="r")).openapi()
    assert all_keyed["paths"]["/v1/search"]["post"]["security"] and {"401", "403"} <= set(all_keyed["paths"]["/v1/documents"]["get"]["responses"])
    assert "security" not in all_keyed["paths"]["/v1/health"]["get"]


def test_a_405_names_every_allowed_method(server: str) -> None:
    response = httpx.request("PATCH", f"{server}/v1/documents/talk.vtt")
    assert response.status_code == 405 and set(response.headers["allow"].split(", ")) >= {"GET", "DELETE"}
    assert _error(response, 405)["code"] == "method_not_allowed"


def test_page_and_widget_are_served_small_and_locked_down(server: str) -> None:
    page = httpx.get(f"{server}/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    sizes = {path: len(httpx.get(f"{server}{path}").content) for path in ("/", "/assets/app.js", "/assets/style.css", "/widget.js")}
    # build-free and small: the page with its widget helpers (42.6 KB with the answer stream reader, 46.1 KB with people's links)
    assert sum(sizes.values()) < 48_000, sizes
    assert httpx.get(f"{server}/widget.js").headers["content-type"].startswith("text/javascript")
    _error(httpx.get(f"{server}/assets/../pyproject.toml"), 404)
    _error(httpx.get(f"{server}/assets/index.html"), 404)


def test_reads_are_rate_limited_per_client_with_retry_after(store: Path, serve) -> None:
    url = serve(store, KB_RATE_LIMIT="5/minute").url
    codes = [httpx.post(f"{url}/v1/search", json={"query": "pager"}).status_code for _ in range(5)]
    assert codes == [200] * 5
    limited = httpx.post(f"{url}/v1/ask", json={"question": "pager"})
    assert "KB_RATE_LIMIT" in _error(limited, 429, "rate_limited")["message"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert httpx.get(f"{url}/v1/health").status_code == 200  # health and documents are not limited
    assert httpx.get(f"{url}/v1/documents").status_code == 200


def test_path_tricks_cannot_reach_other_documents_or_files(server: str) -> None:
    for path in (
        "/v1/documents/../../etc/passwd",
        "/v1/documents/%2e%2e/%2e%2e/etc/passwd",
        "/v1/documents/%2e%2e%2fpyproject.toml",
        "/assets/%2e%2e%2fapp.js",
    ):
        response = httpx.get(f"{server}{path}")
        assert response.status_code == 404 and "root:" not in response.text
    raw = httpx.Client(base_url=server)
    response = raw.send(raw.build_request("DELETE", "/v1/documents/..%2Ftalk.vtt"))
    assert response.status_code == 404
    assert httpx.get(f"{server}/v1/documents").json()["documents"][-1]["doc_id"] == "talk.vtt"


def test_a_stored_name_with_a_line_break_can_still_be_deleted(store: Path) -> None:
    """Names with line breaks are refused now, but a store written before may hold one: DELETE must still reach it."""
    from ingest.pipeline import Reading, _ingest_bytes
    from kb import KnowledgeBase

    legacy = "line\nbreak.md"
    with KnowledgeBase(Settings(data_dir=store)) as kb, kb.writing(0, "test"):
        assert _ingest_bytes(legacy, b"# Legacy\n\nStored before names were checked.\n", kb, Reading.of(None, None), None).added == 1
    with TestClient(create_app(Settings(data_dir=store)), base_url="http://localhost", client=("127.0.0.1", 50000)) as local:
        assert local.delete("/v1/documents/line%0Abreak.md").json() == {"deleted": legacy}
        assert legacy not in {d["doc_id"] for d in local.get("/v1/documents").json()["documents"]}
