"""People: one person across files and spellings, merges without re-embedding, lists and pages (kb/people/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import ingest_paths
from kb.errors import InvalidInput, NotFound
from kb.models import SearchFilters

# A caption file in the shape conference captions take: the host names people in full once, then by first name.
ICFP_LIKE = """WEBVTT

00:00:01.000 --> 00:00:06.000
<v Sara Lindqvist>Welcome back. Our first speaker is Adam Okoro, and then Jeremy Hale.

00:00:06.000 --> 00:00:14.000
<v Adam Okoro>Thanks. Today I want to talk about proof assistants and how certified compilers change code review.

00:00:14.000 --> 00:00:21.000
<v Sara>Adam, how long did the certified compiler take to build?

00:00:21.000 --> 00:00:30.000
<v Adam>About four years of work on the certified compiler, most of it on the proof assistant itself.

00:00:30.000 --> 00:00:38.000
<v Jeremy Hale>I would add that datatype generic programming made our parsers much shorter.

00:00:38.000 --> 00:00:45.000
<v Jeremy>Generic programming also lets the parsers share one pretty printer.
"""

MAYA_ESSAY_PANEL = """---
title: Sponsorship and on-call
date: 2025-03-14
people:
  Maya Chen: [Dr. Maya Chen, maya]
---
Maya Chen: Sponsorship is different from mentorship: a sponsor spends their own credibility to put you in the room.
Tom Reyes: And on-call? Our on-call rotation burned people out until we paid for it.
Maya Chen: We capped on-call at one week in six and wrote runbooks for every page.
"""

OTHER_PANEL = """---
title: Staff engineers
date: 2026-01-20
---
Dr. Maya Chen: Staff engineers write the strategy documents nobody else has time to write.
Priya Raman: And they sponsor people, which is sponsorship in the plain sense of the word.
Adam: I only joined to say the certified compiler is done.
Priya Raman: Congratulations.
Adam: Thanks, it took four years.
"""


@pytest.fixture
def people_kb(backend, kb, tmp_path: Path):
    folder = tmp_path / "panels"
    folder.mkdir()
    (folder / "icfp-session.vtt").write_text(ICFP_LIKE)
    (folder / "sponsorship.txt").write_text(MAYA_ESSAY_PANEL)
    (folder / "staff.txt").write_text(OTHER_PANEL)
    report = ingest_paths([folder], kb)
    assert report.failed == 0, [f.error for f in report.files if f.error]
    return kb


def _names(kb) -> dict[str, object]:
    return {person.name: person for person in kb.people()}


def test_a_first_name_is_the_full_name_of_the_same_file(people_kb) -> None:
    people = _names(people_kb)
    assert people["Adam Okoro"].passages >= 1 and people["Jeremy Hale"].passages >= 1
    assert "Jeremy" not in people and "Sara" not in people  # completed within the file
    assert "Sara Lindqvist" in people
    # "Adam" in another file is not completed from this one: a first name across files is not evidence
    assert "Adam" in people


def test_front_matter_aliases_join_one_person_across_files(people_kb) -> None:
    maya = _names(people_kb)["Maya Chen"]
    assert maya.documents == 2
    assert {"Dr. Maya Chen", "maya"} <= set(maya.aliases)
    assert maya.first_date == "2025-03-14" and maya.last_date == "2026-01-20"
    assert "Dr. Maya Chen" not in _names(people_kb)
    found = people_kb.search("strategy documents", top_k=3, filters=SearchFilters(speaker="maya")).results
    assert found and all("Maya Chen" in p.speakers for p in found)
    assert any("strategy documents" in p.text for p in found)  # said under the label "Dr. Maya Chen"


def test_merge_renames_without_embedding_again_and_unmerge_undoes_it(people_kb, monkeypatch: pytest.MonkeyPatch) -> None:
    before = {doc.doc_id: sorted(people_kb.store.passage_ids(doc.doc_id)) for doc in people_kb.documents()}
    with monkeypatch.context() as patched:
        patched.setattr(type(people_kb.embedder), "embed", lambda *_: pytest.fail("a merge embedded something"))
        merged = people_kb.merge_people(["Adam"], "Adam Okoro")
    assert merged.name == "Adam Okoro" and "Adam" in merged.aliases and merged.documents == 2
    assert "Adam" not in _names(people_kb)
    assert {doc.doc_id: sorted(people_kb.store.passage_ids(doc.doc_id)) for doc in people_kb.documents()} == before
    said = people_kb.search("certified compiler is done", top_k=5, filters=SearchFilters(speaker="adam okoro")).results
    assert any(p.doc_id == "staff.txt" and "Adam Okoro" in p.speakers and "Adam" not in p.speakers for p in said)
    people_kb.unmerge_person("Adam")
    assert "Adam" in _names(people_kb)
    with pytest.raises(InvalidInput, match="not merged"):
        people_kb.unmerge_person("Adam")


def test_a_people_file_names_who_is_who_ahead_of_the_transcripts(people_kb, tmp_path: Path) -> None:
    found = people_kb.import_people({"Jeremy Hale": ["Jez", "Prof. Jeremy Hale"], "Tom Reyes": "T. Reyes"})
    assert [p.name for p in found] == ["Jeremy Hale", "Tom Reyes"] and "Jez" in found[0].aliases
    later = tmp_path / "later"
    later.mkdir()
    (later / "later.txt").write_text("Jez: Generic programming again.\nPriya Raman: Again?\nJez: Always generic programming.\n")
    assert ingest_paths([later], people_kb).failed == 0
    jeremy = people_kb.person("jez")
    assert jeremy.name == "Jeremy Hale" and {d.doc_id for d in jeremy.in_documents} == {"icfp-session.vtt", "later.txt"}
    with pytest.raises(InvalidInput, match="list of other names"):
        people_kb.import_people({"Maya Chen": {"not": "a list"}})  # type: ignore[dict-item]


def test_merging_a_name_nobody_has_is_an_error_naming_the_fix(people_kb) -> None:
    with pytest.raises(InvalidInput, match="nobody here goes by 'Adma'"):
        people_kb.merge_people(["Adma"], "Adam Okoro")
    with pytest.raises(NotFound, match="GET /v1/people"):
        people_kb.person("Nobody Here")


def test_rename_keeps_the_old_name_as_an_alias(people_kb) -> None:
    people_kb.rename_person("Sara Lindqvist", "Dr. Sara Lindqvist")
    sara = _names(people_kb)["Dr. Sara Lindqvist"]
    assert "Sara Lindqvist" in sara.aliases
    assert people_kb.person("sara lindqvist").name == "Dr. Sara Lindqvist"


def test_a_person_page_lists_their_own_lines_with_times_and_topics(people_kb) -> None:
    page = people_kb.person("Adam Okoro")
    lines = [line for doc in page.in_documents for line in doc.lines]
    assert [doc.doc_id for doc in page.in_documents] == ["icfp-session.vtt"]
    assert any("four years" in line.text for line in lines) and any("proof assistants" in line.text for line in lines)
    assert not any("Generic programming" in line.text for line in lines)  # Jeremy's line, same passage
    assert page.in_documents[0].start == "00:00:06"
    assert lines[0].start == "00:00:06"
    assert any("certified" in topic or "compiler" in topic for topic in page.topics), page.topics


def test_asking_about_a_person_by_an_alias_quotes_only_them(people_kb) -> None:
    answer = people_kb.ask("what did maya say about on-call?", top_k=3)
    assert answer.answered, answer.answer
    quoted = [quote for citation in answer.citations for quote in citation.quotes]
    assert quoted and all(quote.speaker == "Maya Chen" for quote in quoted)
    scoped = people_kb.ask("what do staff engineers write?", top_k=3, filters=SearchFilters(speaker="Dr. Maya Chen"))  # kb ask --speaker
    quoted = [quote for citation in scoped.citations for quote in citation.quotes]
    assert scoped.answered and quoted and all(quote.speaker == "Maya Chen" for quote in quoted)
    assert any("strategy documents" in quote.text for quote in quoted)


def test_a_backup_keeps_the_merges(people_kb, tmp_path: Path) -> None:
    from kb import KnowledgeBase, Settings

    if people_kb.settings.chroma_url:
        pytest.skip("the embedded store is enough: backups read both the same way (tests/test_backup.py)")
    people_kb.merge_people(["Adam"], "Adam Okoro")
    people_kb.backup(tmp_path / "kb.tar.gz")
    restored = Settings(data_dir=tmp_path / "restored")
    KnowledgeBase.restore(restored, tmp_path / "kb.tar.gz")
    with KnowledgeBase(restored) as again:
        assert "Adam" in {p.name: p for p in again.people()}["Adam Okoro"].aliases


@pytest.mark.slow  # a real `kb serve`: in make test, not make quick
def test_people_over_http_and_the_cli_through_a_served_store(tmp_path: Path, serve) -> None:
    import httpx
    from conftest import ingest_into

    folder = tmp_path / "panels"
    folder.mkdir()
    (folder / "icfp-session.vtt").write_text(ICFP_LIKE)
    (folder / "staff.txt").write_text(OTHER_PANEL)
    data = tmp_path / "data"
    assert ingest_into(data, [folder]).failed == 0
    server = serve(data, KB_API_KEY="write-key", KB_READ_KEY="read-key")
    read, write = {"Authorization": "Bearer read-key"}, {"Authorization": "Bearer write-key"}
    assert httpx.get(f"{server.url}/v1/people").status_code == 401
    listed = httpx.get(f"{server.url}/v1/people", headers=read).json()["people"]
    assert {"Adam Okoro", "Adam", "Jeremy Hale"} <= {p["name"] for p in listed}
    refused = httpx.post(f"{server.url}/v1/people/merge", json={"names": ["Adam"], "into": "Adam Okoro"}, headers=read)
    assert refused.status_code == 403
    typo = httpx.post(f"{server.url}/v1/people/merge", json={"names": ["Adma"], "into": "Adam Okoro"}, headers=write)
    assert typo.status_code == 422 and "nobody here goes by 'Adma'" in typo.json()["error"]["message"]
    run = kb_people(data, "merge", "Adam", "Adam Okoro", KB_API_KEY="write-key")
    assert run.returncode == 0, run.stderr
    assert "Merged: Adam Okoro (also Adam)" in run.stdout
    page = httpx.get(f"{server.url}/v1/people/adam", headers=read).json()  # any name they go by
    assert page["name"] == "Adam Okoro" and {d["doc_id"] for d in page["in_documents"]} == {"icfp-session.vtt", "staff.txt"}
    assert httpx.get(f"{server.url}/v1/people/Nobody%20Here", headers=read).status_code == 404
    found = httpx.post(f"{server.url}/v1/search", json={"query": "certified compiler", "filters": {"speaker": "Adam"}}, headers=read).json()
    assert found["results"] and all("Adam Okoro" in r["speakers"] for r in found["results"])
    (tmp_path / "people.yaml").write_text("Jeremy Hale: [Jez]\n")
    imported = kb_people(data, "import", str(tmp_path / "people.yaml"), KB_API_KEY="write-key")
    assert imported.returncode == 0 and "Known: Jeremy Hale (also Jez)" in imported.stdout, imported.stderr
    (tmp_path / "bad.yaml").write_text("- just\n- a list\n")
    bad = kb_people(data, "import", str(tmp_path / "bad.yaml"), KB_API_KEY="write-key")
    assert bad.returncode == 1 and "holds no people" in bad.stderr and "Traceback" not in bad.stderr
    shown = kb_people(data, "show", "adam okoro", KB_READ_KEY="read-key")
    assert shown.returncode == 0 and "four years" in shown.stdout, shown.stderr
    schema = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/v1/people", "/v1/people/{name}", "/v1/people/merge", "/v1/people/rename", "/v1/people/unmerge", "/v1/people/import"} <= set(
        schema["paths"]
    )


def test_a_first_name_is_completed_from_what_the_file_says_of_them_and_never_guessed() -> None:
    from ingest.readers import read_document

    talk = (
        "JULIA: Our last talk tonight is by Allison Nakamura, who will talk about bestsellers.\n"
        "ALLISON: Thanks Julia. So, bestsellers.\n"
        "AUDIENCE MEMBER: How many did you read?\n"
        "ALLISON: About two hundred.\n"
        "DAVID: Hi, I'm David Osei. I'll be quick.\n"
        "DAVID: Done.\n"
    )
    speakers = read_document("talk.txt", talk.encode())[0].metadata["speakers"]
    assert {"Allison Nakamura", "David Osei"} <= set(speakers) and "Allison" not in speakers
    two_adams = "<v Adam Okoro>One.\n\n00:00:02.000 --> 00:00:03.000\n<v Adam Hale>Two.\n\n00:00:03.000 --> 00:00:04.000\n<v Adam>Three."
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + two_adams
    assert "Adam" in read_document("two.vtt", vtt.encode())[0].metadata["speakers"]  # two Adams: not guessed


def test_declarations_that_loop_or_conflict_never_swap_or_join_two_people() -> None:
    from kb.people.book import PeopleBook

    looped = PeopleBook(["Maya Chen", "Maya Chen", "Dr. Maya Chen"], [("Dr. Maya Chen", "Maya Chen"), ("Maya Chen", "Dr. Maya Chen")])
    assert looped.person("Maya Chen") == looped.person("Dr. Maya Chen") == "Maya Chen"
    assert looped.labels_of("dr. maya chen") == ["Dr. Maya Chen", "Maya Chen"]
    clash = PeopleBook(["Maya Chen", "Maya Patel"], [("maya", "Maya Chen"), ("maya", "Maya Patel")])
    assert clash.person("Maya Chen") == "Maya Chen" and clash.person("Maya Patel") == "Maya Patel"
    assert clash.person("maya") == "maya" and clash.conflicts == ["maya"]  # ambiguous: nobody's alias
    chained = PeopleBook(["Adam", "A. C.", "Adam Chlipala"], [], {"Adam": "A. C.", "A. C.": "Adam Chlipala"})
    assert {chained.person(n) for n in ("adam", "a. c.")} == {"Adam Chlipala"}


def test_renames_and_merges_never_take_someone_elses_name_or_invent_a_person(people_kb) -> None:
    with pytest.raises(InvalidInput, match="'Jeremy Hale' is already Jeremy Hale"):
        people_kb.rename_person("Adam Okoro", "Jeremy Hale")
    with pytest.raises(InvalidInput, match="nobody here goes by 'Adam Okoor'.*kb people rename"):
        people_kb.merge_people(["Adam"], "Adam Okoor")
    with pytest.raises(InvalidInput, match="both a person and another person's name"):
        people_kb.import_people({"Maya Chen": ["maya"], "maya": ["mchen"]})
    with pytest.raises(InvalidInput, match="control characters"):
        people_kb.rename_person("Adam Okoro", "Adam\u0000Okoro")
    generation, version = people_kb.store.versions()
    people_kb.merge_people(["Adam"], "Adam Okoro")
    after = people_kb.store.versions()
    assert after[0] == generation and after[1] != version  # passages untouched: no keyword index anywhere re-reads the store


def test_completion_never_makes_a_name_of_a_phrase_a_possessive_or_a_title() -> None:
    from ingest.readers.turns import Turn, complete_first_names

    cases = {
        ("Chris", "Hi everyone, I am Chris And I work here"): "Chris",
        ("Maya", "Well, I am Maya Chen's manager."): "Maya",
        ("Jon", "Hi, my name is Jon Williams.  I'm going to talk"): "Jon Williams",
        ("Ada", "Okay. Hi. I'm Ada\nLindqvist and I work at a bank."): "Ada Lindqvist",
    }
    for (label, text), expected in cases.items():
        turns = [Turn(label, text)]
        complete_first_names(turns)
        assert turns[0].speaker == expected, text
    titled = [Turn("Dr.", "Hello."), Turn("Maya", "Hi."), Turn("Dr. Maya Chen", "Welcome.")]
    complete_first_names(titled)
    assert [t.speaker for t in titled] == ["Dr.", "Dr. Maya Chen", "Dr. Maya Chen"]


def kb_people(data: Path, *args: str, **env: str):
    """`kb people ARGS...` in a subprocess on the store in `data` (through its server when one runs)."""
    import subprocess

    from conftest import KB_COMMAND, kb_env

    return subprocess.run([KB_COMMAND, "people", *args], env=kb_env(data, **env), capture_output=True, text=True, timeout=120)
