"""GET /v1/documents/{doc_id}/passages: a document in reading order, for the context view."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, KBServer, ingest_into, write

from kb.errors import InvalidInput, NotFound

VTT = "panels/sponsorship-in-practice.vtt"
PDF = "essays/four-ways-to-be-a-staff-engineer.pdf"
MD = "essays/feedback-that-lands.md"


def _all(kb, doc_id: str, limit: int = 3):
    pages, offset = [], 0
    while offset is not None:
        page = kb.passages_of(doc_id, offset, limit)
        pages.append(page)
        offset = page.next_offset
    return pages


def test_pages_join_up_to_the_whole_document_in_order(corpus_kb) -> None:
    pages = _all(corpus_kb, VTT, limit=3)
    passages = [p for page in pages for p in page.passages]
    assert len(pages) > 1 and all(len(page.passages) == 3 for page in pages[:-1])
    assert [p.position for p in passages] == list(range(pages[0].total))
    assert pages[-1].next_offset is None and pages[0].document.title == "Sponsorship in practice"
    assert sorted(p.chunk_id for p in passages) == sorted(corpus_kb.store.passage_ids(VTT))


def test_transcript_passages_come_as_turns_with_speakers_and_times(corpus_kb) -> None:
    passages = [p for page in _all(corpus_kb, VTT, 100) for p in page.passages]
    turns = [t for p in passages for t in p.turns]
    assert {t.speaker for t in turns} == {"Diego Santos", "Mei Tanaka", "Fatima Zahra", "Joshua Reed"}
    starts = [t.start for t in turns]
    assert all(starts) and starts == sorted(starts)  # hh:mm:ss sorts as time
    assert all(not t.text.startswith(f"{t.speaker}:") for t in turns)  # the name is the turn's, not its words
    first = passages[0]
    assert len(first.turns) == first.text.count("\n") + 1


def test_pdf_passages_keep_pages_and_markdown_passages_their_sections(corpus_kb) -> None:
    pdf = corpus_kb.passages_of(PDF, 0, 100).passages
    assert [p.page for p in pdf] == sorted(p.page for p in pdf) and {p.page for p in pdf} >= {1, 2}
    assert all(p.turns == [] for p in pdf)
    md = corpus_kb.passages_of(MD, 0, 100).passages
    assert md[0].section == "Feedback that lands" and any(p.section and p.section.endswith("Why most feedback fails") for p in md)


def test_bad_paging_and_unknown_documents_are_refused(corpus_kb) -> None:
    with pytest.raises(NotFound, match="GET /v1/documents"):
        corpus_kb.passages_of("no/such.md")
    with pytest.raises(InvalidInput, match="limit"):
        corpus_kb.passages_of(VTT, 0, 501)
    with pytest.raises(InvalidInput, match="offset"):
        corpus_kb.passages_of(VTT, -1)
    with pytest.raises(InvalidInput, match="offset"):
        corpus_kb.passages_of(VTT, 17710562524473413632)  # Chroma answered "Invalid where clause" (a 500 over HTTP)
    assert corpus_kb.passages_of(VTT, 10_000).passages == []


def test_a_changed_document_shows_only_its_new_version(kb, tmp_path: Path) -> None:
    from ingest import ingest_paths

    path = write(tmp_path / "notes" / "panel.txt", "Maya Chen: The first version.\nDaniel Okafor: Old words.\n")
    ingest_paths([tmp_path / "notes"], kb)
    write(path, "Maya Chen: The second version.\nDaniel Okafor: New words.\n")
    ingest_paths([tmp_path / "notes"], kb)
    texts = [p.text for p in kb.passages_of("panel.txt").passages]
    assert "second version" in " ".join(texts) and "first version" not in " ".join(texts)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory):
    """The corpus served with a read key."""
    data = tmp_path_factory.mktemp("context") / "kb"
    assert ingest_into(data, [CORPUS]).failed == 0
    server = KBServer(data, KB_READ_KEY="reader")
    yield server
    server.stop()


def test_the_endpoint_pages_over_http_with_the_read_key_rules(guarded: KBServer) -> None:
    url, key = guarded.url, {"Authorization": "Bearer reader"}
    assert httpx.get(f"{url}/v1/documents/{VTT}/passages").status_code == 401
    first = httpx.get(f"{url}/v1/documents/{VTT}/passages", params={"limit": 2}, headers=key).json()
    assert set(first) == {"document", "offset", "limit", "total", "next_offset", "passages"}
    assert first["next_offset"] == 2 and [p["position"] for p in first["passages"]] == [0, 1]
    assert first["passages"][0]["turns"][0] == {"speaker": "Diego Santos", "start": "00:00:03", "text": first["passages"][0]["turns"][0]["text"]}
    second = httpx.get(f"{url}/v1/documents/{VTT}/passages", params={"offset": 2, "limit": 2}, headers=key).json()
    assert [p["position"] for p in second["passages"]] == [2, 3]
    refused = httpx.get(f"{url}/v1/documents/{VTT}/passages", params={"limit": 0}, headers=key)
    assert refused.status_code == 422 and "limit" in refused.json()["error"]["message"]
    huge = httpx.get(f"{url}/v1/documents/{VTT}/passages", params={"offset": 17710562524473413632}, headers=key)  # found by schemathesis
    assert huge.status_code == 422 and "offset" in huge.json()["error"]["message"]
    missing = httpx.get(f"{url}/v1/documents/nope.md/passages", headers=key)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert httpx.get(f"{url}/v1/documents/{VTT}", headers=key).json()["title"] == "Sponsorship in practice"  # the record, as before
    schema = httpx.get(f"{url}/openapi.json").json()
    operation = schema["paths"]["/v1/documents/{doc_id}/passages"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"doc_id", "offset", "limit"}
    assert "401" in operation["responses"] and "404" in operation["responses"]


def test_the_context_view_is_served_with_the_page_policy(guarded: KBServer) -> None:
    view = httpx.get(f"{guarded.url}/doc/{VTT}?p=abc&hl=1-2")
    assert view.status_code == 200 and "/assets/doc.js" in view.text
    assert "script-src 'self'" in view.headers["content-security-policy"] and "connect-src 'self'" in view.headers["content-security-policy"]
    assert httpx.get(f"{guarded.url}/assets/doc.js").headers["content-type"].startswith("text/javascript")
