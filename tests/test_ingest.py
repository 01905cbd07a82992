"""Idempotent ingest, update, prune, delete and dry-run, on the embedded store and a real Chroma server."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import ingest_bytes, ingest_paths
from kb import KnowledgeBase, Settings
from kb.errors import NotFound, StoreMismatch
from kb.models import SearchFilters
from tests.conftest import PANEL_TXT, write


def stored_ids(kb: KnowledgeBase) -> set[str]:
    return set(kb.store.passages.get(include=[])["ids"])


def statuses(report) -> dict[str, str]:
    return {f.doc_id: f.status for f in report.files}


def test_first_ingest_adds_every_file_with_doc_ids_relative_to_the_folder(backend, kb, small_corpus: Path) -> None:
    report = ingest_paths([small_corpus], kb)
    assert statuses(report) == {"2026/staff-panel.txt": "added", "essays/feedback.md": "added", "talk.vtt": "added"}
    assert report.added == 3 and report.failed == 0
    assert report.passages == len(stored_ids(kb)) == sum(d.passages for d in kb.documents())
    assert kb.health().documents == 3


def test_reingesting_unchanged_files_changes_nothing(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    before = stored_ids(kb)
    stamps = {d.doc_id: d.ingested_at for d in kb.documents()}
    again = ingest_paths([small_corpus], kb)
    assert again.unchanged == 3 and again.added == again.updated == 0
    assert stored_ids(kb) == before
    assert {d.doc_id: d.ingested_at for d in kb.documents()} == stamps


def test_editing_one_file_replaces_only_its_passages(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    others = {i for i in stored_ids(kb)} - set(kb.store.passage_ids("talk.vtt"))
    old_talk = set(kb.store.passage_ids("talk.vtt"))
    write(
        small_corpus / "talk.vtt", (small_corpus / "talk.vtt").read_text() + "\n00:00:13.000 --> 00:00:15.000\n<v Priya Raman>Budgets are mine too.\n"
    )
    report = ingest_paths([small_corpus], kb)
    assert statuses(report)["talk.vtt"] == "updated" and report.unchanged == 2
    new_talk = set(kb.store.passage_ids("talk.vtt"))
    assert not (old_talk & new_talk), "old passages must be gone"
    assert stored_ids(kb) == others | new_talk
    hits = kb.search("who owns budgets", filters=SearchFilters(doc_id="talk.vtt")).results
    assert any("Budgets are mine too." in p.text for p in hits)


def test_prune_removes_documents_whose_files_are_gone(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    (small_corpus / "talk.vtt").unlink()
    kept = ingest_paths([small_corpus], kb)
    assert "talk.vtt" in {d.doc_id for d in kb.documents()} and kept.removed == 0
    pruned = ingest_paths([small_corpus], kb, prune=True)
    assert statuses(pruned)["talk.vtt"] == "removed"
    assert "talk.vtt" not in {d.doc_id for d in kb.documents()}
    assert kb.store.passage_ids("talk.vtt") == []


def test_prune_leaves_documents_from_other_folders_alone(backend, kb, small_corpus: Path, tmp_path: Path) -> None:
    ingest_paths([small_corpus], kb)
    other = write(tmp_path / "other" / "note.md", "# Note\n\nSomething else entirely.")
    ingest_paths([other.parent], kb, prune=True)
    assert {d.doc_id for d in kb.documents()} == {"2026/staff-panel.txt", "essays/feedback.md", "talk.vtt", "note.md"}


def test_dry_run_reports_the_plan_and_writes_nothing(backend, kb, small_corpus: Path) -> None:
    report = ingest_paths([small_corpus], kb, dry_run=True)
    assert report.dry_run and report.added == 3 and report.passages > 0
    assert kb.health().documents == 0 and kb.health().passages == 0


def test_a_bad_file_fails_alone_and_leaves_the_store_intact(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    before = stored_ids(kb)
    write(small_corpus / "broken.pdf", b"%PDF-1.4 this is not really a pdf")
    write(small_corpus / "empty.srt", "")
    write(small_corpus / "new.md", "# New\n\nA new essay about mentoring at scale.")
    report = ingest_paths([small_corpus], kb)
    assert statuses(report) == {
        **{d: "unchanged" for d in ("2026/staff-panel.txt", "essays/feedback.md", "talk.vtt")},
        "broken.pdf": "failed",
        "empty.srt": "failed",
        "new.md": "added",
    }
    errors = {f.doc_id: f.error for f in report.files if f.error}
    assert "broken.pdf" in errors["broken.pdf"] and "re-export" in errors["broken.pdf"]
    assert before < stored_ids(kb)


def test_a_broken_update_keeps_the_previous_version(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    before = set(kb.store.passage_ids("essays/feedback.md"))
    write(small_corpus / "essays" / "feedback.md", "---\ntitle: [broken\n---\nNew body")
    report = ingest_paths([small_corpus], kb)
    assert statuses(report)["essays/feedback.md"] == "failed"
    assert set(kb.store.passage_ids("essays/feedback.md")) == before
    assert kb.document("essays/feedback.md").title == "On feedback"


def test_missing_paths_are_reported_not_raised(backend, kb, tmp_path: Path) -> None:
    report = ingest_paths([tmp_path / "nope"], kb)
    assert report.failed == 1 and "no such file or folder" in report.files[0].error


def test_a_single_file_gets_its_name_as_doc_id(backend, kb, small_corpus: Path) -> None:
    report = ingest_paths([small_corpus / "2026" / "staff-panel.txt"], kb)
    assert statuses(report) == {"staff-panel.txt": "added"}


def test_forcing_a_kind_reingests_with_that_kind(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus / "essays" / "feedback.md"], kb)
    report = ingest_paths([small_corpus / "essays" / "feedback.md"], kb, kind="book_notes")
    assert statuses(report) == {"feedback.md": "updated"}
    assert kb.document("feedback.md").kind == "book_notes"


def test_delete_removes_the_document_and_its_passages(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    kb.delete("talk.vtt")
    assert kb.document("talk.vtt") is None and kb.store.passage_ids("talk.vtt") == []
    with pytest.raises(NotFound, match="kb docs"):
        kb.delete("talk.vtt")


def test_search_returns_cited_passages_and_honours_filters(backend, kb, small_corpus: Path) -> None:
    ingest_paths([small_corpus], kb)
    results = kb.search("a flaky build costs every team hours each week", top_k=3).results
    top = results[0]
    assert top.doc_id == "2026/staff-panel.txt" and top.kind == "transcript"
    assert top.speaker in top.speakers and top.start == "00:00:05" and top.title == "Staff panel"
    assert [p.n for p in results] == list(range(1, len(results) + 1))
    assert all(results[i].score >= results[i + 1].score for i in range(len(results) - 1))

    only_md = kb.search("feedback", filters=SearchFilters(kind="essay")).results
    assert only_md and {p.doc_id for p in only_md} == {"essays/feedback.md"}
    assert all(p.section for p in only_md)

    by_speaker = kb.search("sponsorship", filters=SearchFilters(speaker="Daniel Okafor")).results
    assert by_speaker and all("Daniel Okafor" in p.speakers for p in by_speaker)

    nobody = kb.search("sponsorship", filters=SearchFilters(speaker="Nobody Here")).results
    assert nobody == []


def test_uploaded_bytes_use_the_same_pipeline(backend, kb) -> None:
    first = ingest_bytes("upload.txt", PANEL_TXT.encode(), kb)
    again = ingest_bytes("upload.txt", PANEL_TXT.encode(), kb)
    assert first.files[0].status == "added" and again.files[0].status == "unchanged"
    assert again.files[0].passages == first.files[0].passages > 0


def test_half_written_new_version_is_invisible_until_committed(backend, kb, small_corpus: Path) -> None:
    """Simulate a crash after new passages were written but before the document record switched."""
    ingest_paths([small_corpus], kb)
    from kb.store.drafts import PassageDraft
    from kb.store.records import DocumentWrite

    original_put = kb.store.put_documents
    kb.store.put_documents = lambda records: (_ for _ in ()).throw(RuntimeError("crash"))
    with pytest.raises(RuntimeError):
        kb.write_documents(
            [
                DocumentWrite(
                    "talk.vtt",
                    "new-hash",
                    {"title": "Talk", "kind": "transcript"},
                    [PassageDraft(text="ghost passage about budgets", embed_text="ghost passage about budgets")],
                )
            ]
        )
    kb.store.put_documents = original_put
    hits = kb.search("ghost passage about budgets", top_k=10).results
    assert all("ghost" not in p.text for p in hits)
    # the next ingest converges: same file, same hash, no orphans visible or left in the doc's ids
    ingest_paths([small_corpus], kb)
    assert all("ghost" not in p.text for p in kb.search("ghost passage about budgets", top_k=10).results)


def test_a_store_built_with_another_model_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "kb")
    KnowledgeBase(settings).store.passages.modify(metadata={"embed_model": "some/other-model"})
    with pytest.raises(StoreMismatch, match="KB_COLLECTION"):
        KnowledgeBase(settings).health()


def test_files_no_reader_takes_are_listed_as_skipped_not_failed(kb, tmp_path: Path) -> None:
    write(tmp_path / "talks" / "panel.md", "# Panel\n\nStaff engineers write design documents.\n")
    (tmp_path / "talks" / "slides.pptx").write_bytes(b"PK\x03\x04 slides")
    (tmp_path / "talks" / "sub" / "photo.png").parent.mkdir(parents=True)
    (tmp_path / "talks" / "sub" / "photo.png").write_bytes(b"\x89PNG")
    report = ingest_paths([tmp_path / "talks"], kb)
    assert report.added == 1 and report.failed == 0
    assert report.skipped == ["slides.pptx", "sub/photo.png"]
    assert any("skipped 2 file(s)" in note and ".vtt" in note for note in report.notes)


def test_a_watchers_memory_reads_a_failed_file_again_only_once_it_changes(tmp_path: Path, monkeypatch) -> None:
    """A watched folder re-plans every file on every batch: failures were re-read (a big file re-chunked) and reported
    each time. With the watcher's `Failures`, each is read and reported once, and tried again when it changes."""
    import os

    import ingest.pipeline as pipeline

    folder = tmp_path / "drop"
    write(folder / "empty.txt", "")
    write(folder / "binary.txt", bytes(range(256)) * 40)
    write(folder / "long.md", "# Long\n\n" + "\n\n".join(f"Paragraph {i} says something new about pagers and rotas." * 30 for i in range(60)))
    write(folder / "good.md", "# Good\n\nOur pager rotation lasts one week per quarter.\n")
    parsed: list[str] = []
    real_parse = pipeline._parse
    monkeypatch.setattr(pipeline, "_parse", lambda file, kb, *rest: parsed.append(file.doc_id) or real_parse(file, kb, *rest))
    failures = pipeline.Failures()
    with KnowledgeBase(Settings(data_dir=tmp_path / "data", max_passages=5)) as kb:
        first = statuses(ingest_paths([folder], kb, failures=failures))
        assert first == {"empty.txt": "failed", "binary.txt": "failed", "long.md": "failed", "good.md": "added"}
        parsed.clear()
        again = statuses(ingest_paths([folder], kb, failures=failures))
        assert again == {"good.md": "unchanged"} and parsed == []  # nothing failed read, parsed or reported again
        stat = (folder / "binary.txt").stat()
        os.utime(folder / "binary.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched, same bytes
        write(folder / "empty.txt", "Our pager rotation never runs two weeks in a row.\n")
        changed = statuses(ingest_paths([folder], kb, failures=failures))
        assert changed == {"good.md": "unchanged", "empty.txt": "added"} and parsed == ["empty.txt"]
        plain = statuses(ingest_paths([folder], kb))  # `kb ingest` without a watcher reports every failure, every run
        assert plain["binary.txt"] == "failed" and plain["long.md"] == "failed"


def test_a_file_dropped_between_the_first_pass_and_the_watch_is_caught_up(tmp_path: Path) -> None:
    """`kb ingest --watch` does its first pass, then arms the watch: a file dropped in between raised no event the
    watch could see, and was never ingested (the served drop-folder test lost a file this way on a loaded machine)."""
    import threading

    from ingest.watching import watch

    folder = tmp_path / "drop"
    write(folder / "first.md", "# First\n\nOur pager rotation lasts one week.\n")
    stop = threading.Event()
    batches = []
    with KnowledgeBase(Settings(data_dir=tmp_path / "data")) as kb:
        assert ingest_paths([folder], kb).added == 1  # the first pass
        write(folder / "between.md", "# Between\n\nDropped after the first pass, before the watch.\n")

        def watching() -> None:
            batches.extend(watch([folder], kb, stop_event=stop, debounce_ms=200, settle=0.1))

        thread = threading.Thread(target=watching)
        thread.start()
        try:
            for _ in range(100):
                if "between.md" in {d.doc_id for d in kb.documents()}:
                    break
                stop.wait(0.1)
        finally:
            stop.set()
            thread.join(timeout=30)
        assert "between.md" in {d.doc_id for d in kb.documents()}
    assert [statuses(b.report) for b in batches][0] == {"first.md": "unchanged", "between.md": "added"}


def test_a_watcher_does_not_remember_the_stores_failures() -> None:
    """Busy, refused writes and server errors are the store's, not the file's: the next pass tries the file again."""
    from ingest.pipeline import Failures
    from kb.models import FileReport, IngestReport

    failures, looks = Failures(), {"busy.md": ((10, 1, 1, 1), "h1"), "broken.md": ((5, 1, 1, 2), "h2")}
    report = IngestReport()
    report.record(FileReport(doc_id="busy.md", status="failed", error="the store is busy", retry=True))
    report.record(FileReport(doc_id="broken.md", status="failed", error="unreadable"))
    failures.learn(report, looks)
    assert set(failures.seen) == {"broken.md"}
    assert failures.known("broken.md", None, "h2") and not failures.known("busy.md", None, "h1")
