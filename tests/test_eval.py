"""`kb eval`: labelled questions against the bundled corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from kb.errors import InvalidInput
from kb.evaluation import evaluate
from tests.conftest import CORPUS


def test_search_finds_most_labelled_passages_in_the_top_5(corpus_kb) -> None:
    report = evaluate(corpus_kb, CORPUS / "questions.jsonl")
    overall = report.rows[0]
    assert overall.group == "all" and overall.questions >= 30
    assert overall.hit_at_5 >= 0.6 and overall.mrr >= 0.4
    assert {row.group for row in report.rows} >= {"essay", "transcript", "book_notes"}


def test_a_malformed_question_file_names_the_line(tmp_path: Path, corpus_kb) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "a", "doc_id": "b", "quote": "c"}\nnot json\n')
    with pytest.raises(InvalidInput, match="q.jsonl:2"):
        evaluate(corpus_kb, bad)


def test_kb_eval_prints_json(tmp_path: Path, small_corpus: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["ingest", str(small_corpus)])
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "who owns technical direction?", "doc_id": "talk.vtt", "quote": "owns technical direction"}) + "\n")
    result = runner.invoke(app, ["eval", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"][0]["hit_at_5"] == 1.0
