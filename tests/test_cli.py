"""The `kb` command, through typer's CliRunner and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.conftest import write

runner = CliRunner()
REPORT_KEYS = {"added", "updated", "unchanged", "removed", "failed", "passages", "seconds", "dry_run", "files"}
PASSAGE_KEYS = {"n", "text", "score", "doc_id", "title", "kind", "source", "speaker", "speakers", "start", "end", "page", "section", "chunk_id"}


def test_ingest_json_is_the_contract_report(small_corpus: Path) -> None:
    result = runner.invoke(app, ["ingest", str(small_corpus), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report.keys() >= REPORT_KEYS and report["added"] == 3
    assert {f["doc_id"] for f in report["files"]} == {"2026/staff-panel.txt", "essays/feedback.md", "talk.vtt"}
    assert set(report["files"][0]) == {"doc_id", "status", "kind", "passages", "error"}


def test_ingest_prints_a_summary_and_says_when_nothing_changed(small_corpus: Path) -> None:
    first = runner.invoke(app, ["ingest", str(small_corpus)])
    assert first.exit_code == 0 and "3 added" in first.stdout
    second = runner.invoke(app, ["ingest", str(small_corpus)])
    assert second.exit_code == 0 and "Nothing to do: 3 files unchanged" in second.stdout


def test_a_failed_file_sets_exit_code_1_and_explains(small_corpus: Path) -> None:
    write(small_corpus / "bad.pdf", b"not a pdf")
    result = runner.invoke(app, ["ingest", str(small_corpus)])
    assert result.exit_code == 1
    assert "bad.pdf" in result.output and "re-export" in result.output and "Traceback" not in result.output
    assert "3 added" in result.stdout


def test_dry_run_changes_nothing(small_corpus: Path) -> None:
    result = runner.invoke(app, ["ingest", str(small_corpus), "--dry-run"])
    assert result.exit_code == 0 and "Dry run" in result.stdout
    docs = runner.invoke(app, ["docs", "--json"])
    assert json.loads(docs.stdout) == {"documents": []}


def test_search_docs_and_delete(small_corpus: Path) -> None:
    runner.invoke(app, ["ingest", str(small_corpus)])
    found = runner.invoke(app, ["search", "who owns technical direction", "--json", "--top-k", "2"])
    body = json.loads(found.stdout)
    assert body["query"] == "who owns technical direction" and len(body["results"]) == 2
    assert body["results"][0].keys() >= PASSAGE_KEYS

    human = runner.invoke(app, ["search", "who owns technical direction", "--speaker", "Priya Raman"])
    assert "Priya Raman" in human.stdout and "00:00:01" in human.stdout
    sponsorship = runner.invoke(app, ["search", "someone has to say your name", "--doc", "2026/staff-panel.txt", "--top-k", "1"])
    assert "Maya Chen, Sam Ortiz, Lee Park" in sponsorship.stdout  # the source line names everyone who speaks in it

    listing = json.loads(runner.invoke(app, ["docs", "--json"]).stdout)["documents"]
    assert {d["doc_id"] for d in listing} == {"2026/staff-panel.txt", "essays/feedback.md", "talk.vtt"}
    assert {"doc_id", "title", "kind", "passages", "ingested_at"} <= listing[0].keys()

    deleted = runner.invoke(app, ["delete", "talk.vtt"])
    assert deleted.exit_code == 0 and "Deleted talk.vtt" in deleted.stdout
    missing = runner.invoke(app, ["delete", "talk.vtt"])
    assert missing.exit_code == 1 and "no document with doc_id 'talk.vtt'" in missing.output


def test_empty_query_is_a_clear_error() -> None:
    result = runner.invoke(app, ["search", "   "])
    assert result.exit_code == 1 and "query is empty" in result.output


def test_unknown_kind_is_rejected_by_the_cli(small_corpus: Path) -> None:
    result = runner.invoke(app, ["ingest", str(small_corpus), "--kind", "poem"])
    assert result.exit_code == 2


def test_kb_runs_as_a_real_command(small_corpus: Path, tmp_path: Path) -> None:
    kb = Path(sys.executable).parent / "kb"
    env = {**os.environ, "KB_DATA_DIR": str(tmp_path / "subprocess-kb")}
    ingest = subprocess.run([str(kb), "ingest", str(small_corpus), "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["added"] == 3
    search = subprocess.run([str(kb), "search", "sponsorship", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert search.returncode == 0 and json.loads(search.stdout)["results"]
    help_text = subprocess.run([str(kb), "--help"], capture_output=True, text=True, timeout=60)
    assert all(command in help_text.stdout for command in ("ingest", "search", "docs", "delete"))


def test_serve_refuses_several_workers_on_the_embedded_store() -> None:
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 1 and "needs a Chroma server" in result.output and "KB_CHROMA_URL" in result.output


DIARIZED_SRT = "".join(
    f"{i}\n00:00:{2 * i:02d},000 --> 00:00:{2 * i + 2:02d},000\n{label}: {text}\n\n"
    for i, (label, text) in enumerate(
        [
            ("SPEAKER_00", "We moved the billing job first."),
            ("SPEAKER_01", "It unblocked the search index."),
            ("SPEAKER_00", "Then we cut the pager noise."),
        ],
        start=1,
    )
)


def test_speaker_names_map_caption_labels_and_a_new_mapping_re_ingests(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "kb"))
    write(tmp_path / "talks" / "retro.srt", DIARIZED_SRT)
    mapping = ["--speaker-name", "SPEAKER_00=Maya Chen", "--speaker-name", "SPEAKER_01 = Lee Park"]
    first = runner.invoke(app, ["ingest", str(tmp_path / "talks"), "--json", *mapping])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["added"] == 1
    docs = json.loads(runner.invoke(app, ["docs", "--json"]).stdout)
    listed = docs["documents"] if isinstance(docs, dict) else docs
    assert listed[0]["speakers"] == ["Maya Chen", "Lee Park"]
    assert json.loads(runner.invoke(app, ["ingest", str(tmp_path / "talks"), "--json", *mapping]).stdout)["unchanged"] == 1
    assert (
        json.loads(runner.invoke(app, ["ingest", str(tmp_path / "talks"), "--json"]).stdout)["updated"] == 1
    )  # the mapping is part of what was read
    bad = runner.invoke(app, ["ingest", str(tmp_path / "talks"), "--speaker-name", "SPEAKER_00"])
    assert bad.exit_code == 1 and "LABEL=NAME" in bad.output


def test_help_and_output_show_brackets_as_written(tmp_path: Path) -> None:
    assert "citing each claim as [n]" in " ".join(runner.invoke(app, ["ask", "--help"]).stdout.split())
    write(tmp_path / "notes" / "draft.md", '---\ntitle: "[draft] Pager rotations [bold]"\n---\nThe [red]pager[/red] rotation changed on Tuesdays.\n')
    assert runner.invoke(app, ["ingest", str(tmp_path / "notes")]).exit_code == 0
    shown = runner.invoke(app, ["search", "pager rotation"]).stdout
    assert "[draft] Pager rotations [bold]" in shown and "The [red]pager[/red] rotation" in shown  # not taken as Rich markup
    asked = runner.invoke(app, ["ask", "when did the pager rotation change?"]).stdout
    assert "[1] [draft] Pager rotations [bold]" in asked


def test_first_use_of_the_model_is_announced(tmp_path: Path) -> None:
    from kb import Settings
    from kb.embedding import first_use_work

    assert first_use_work(Settings(model_cache=tmp_path / "empty-cache")).startswith("Building the bundled embedding model into")
    assert first_use_work(Settings()) is None  # this suite's model is built and loaded


def test_serve_on_a_busy_port_says_so_before_claiming_to_listen(tmp_path: Path) -> None:
    import socket

    from conftest import kb_env

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(Path(sys.executable).parent / "kb"), "serve", "--port", str(port)],
            env=kb_env(tmp_path / "kb"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    said = " ".join(result.stderr.split())
    assert result.returncode == 1 and f"port {port} on 127.0.0.1 is already in use (by pid {os.getpid()}" in said, said
    assert "listening" not in said and "Traceback" not in said


def test_docs_never_cuts_a_doc_id_whatever_the_terminals_width(tmp_path: Path) -> None:
    """`kb docs` printed "bangbangcon2014-…" at 80 columns, and the doc_id is what `kb delete` needs."""
    long_id = "bangbangcon2014-camille-fournier-how-to-stay-in-love-with-programming-keynote.txt"
    write(tmp_path / "talks" / long_id, "Maya Chen: Love for programming lasts when you keep learning.\nDaniel Okafor: And when you teach.\n")
    write(tmp_path / "talks" / "short.md", "# Short\n\nA short note with a long title nobody needs in full.\n")
    kb = str(Path(sys.executable).parent / "kb")
    for columns in (60, 80, 120, 200):
        env = {**os.environ, "COLUMNS": str(columns)}
        run = lambda *args, env=env: subprocess.run([kb, *args], env=env, capture_output=True, text=True, timeout=120)  # noqa: E731
        assert run("ingest", str(tmp_path / "talks")).returncode == 0
        listed = run("docs")
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        assert any(long_id in line for line in lines), (columns, listed.stdout)  # whole, on one line
        assert any("short.md" in line for line in lines)
        assert run("delete", long_id).returncode == 0  # what it shows is what delete takes
