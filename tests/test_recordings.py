"""Recordings in: audio and video transcribed offline on ingest, with times, and bad recordings refused one by one.

The speech is real: espeak-ng speaks a scripted two-voice panel (tests/recordings.py),
PyAV re-encodes it as MP3 and MP4, and the bundled Whisper base transcribes it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from recordings import PANEL, encode, silence, speak

pytest.importorskip("faster_whisper", reason="the audio extra is missing: pip install -e '.[audio]'")
if not shutil.which("espeak-ng"):
    pytest.skip("espeak-ng is missing: `make speech` installs it (the recordings are spoken by it)", allow_module_level=True)

from ingest import ingest_paths  # noqa: E402
from kb.models import SearchFilters  # noqa: E402


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory):
    return speak(tmp_path_factory.mktemp("speech"))


def test_a_recording_is_transcribed_with_times_and_found_where_it_was_said(kb, spoken, tmp_path: Path) -> None:
    folder = tmp_path / "talks"
    folder.mkdir()
    shutil.copy(spoken.path, folder / "panel.wav")
    encode(spoken.path, folder / "panel.mp3")
    encode(spoken.path, folder / "panel.mp4", video=True)
    (folder / "notes.md").write_text("# Notes\n\nSponsors read design documents.\n")
    report = ingest_paths([folder], kb)
    assert report.failed == 0, [f.error for f in report.files if f.error]
    assert {f.doc_id: f.kind for f in report.files} == {
        "panel.wav": "transcript",
        "panel.mp3": "transcript",
        "panel.mp4": "transcript",
        "notes.md": "essay",
    }
    said = PANEL[3][1]  # "I wrote the design document for the billing migration ..."
    for doc_id in ("panel.wav", "panel.mp3", "panel.mp4"):
        found = kb.search("design document for the billing migration", top_k=1, filters=SearchFilters(doc_id=doc_id)).results
        assert found and "billing migration" in found[0].text
        vtt = kb.transcript_of(doc_id)
        cue = next(block for block in vtt.split("\n\n") if "billing migration" in block)
        start = sum(float(part) * 60**i for i, part in enumerate(reversed(cue.split(" --> ")[0].split(":"))))
        assert abs(start - spoken.starts[3]) <= 2.0, (doc_id, cue, spoken.starts[3])
    answer = kb.ask("how did you find your first sponsor?", top_k=3, filters=SearchFilters(doc_id="panel.mp3"))
    quoted = [q for c in answer.citations for q in c.quotes if "billing" in q.text]
    assert quoted and abs(_seconds(quoted[0].start) - spoken.starts[3]) <= 2.0, said
    assert kb.document("panel.mp3").transcript_url == "/v1/documents/panel.mp3/transcript"
    assert kb.document("notes.md").transcript_url is None


def test_bad_recordings_fail_one_by_one_and_store_nothing(kb, spoken, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "empty.mp3").write_bytes(b"")
    (folder / "corrupt.mp3").write_bytes(bytes(range(256)) * 40)
    (folder / "lies.wav").write_text("this is a text file wearing a .wav name\n" * 20)
    silence(folder / "quiet.wav")
    encode(spoken.path, folder / "mute.mp4", video=True, audio=False)
    shutil.copy(spoken.path, folder / "good.wav")
    report = ingest_paths([folder], kb)
    errors = {f.doc_id: f.error or "" for f in report.files}
    assert report.failed == 5 and errors["good.wav"] == ""
    assert "empty" in errors["empty.mp3"]
    assert "not a readable audio or video file" in errors["corrupt.mp3"] and "not a readable audio or video file" in errors["lies.wav"]
    assert "no speech found" in errors["quiet.wav"]
    assert "no audio track" in errors["mute.mp4"]
    assert [d.doc_id for d in kb.documents()] == ["good.wav"]
    monkeypatch.setenv("KB_MAX_AUDIO_MINUTES", "0.1")
    from kb import KnowledgeBase, Settings

    with KnowledgeBase(Settings(data_dir=tmp_path / "short")) as short:
        too_long = ingest_paths([folder / "good.wav"], short)
    assert "over KB_MAX_AUDIO_MINUTES=0.1" in (too_long.files[0].error or "")


def _seconds(clock: str | None) -> float:
    assert clock is not None
    h, m, s = (int(part) for part in clock.split(":"))
    return h * 3600 + m * 60 + s


@pytest.mark.slow  # a real `kb serve`: in make test, not make quick
def test_a_recording_through_a_served_store_and_its_transcript_download(spoken, tmp_path: Path, serve) -> None:
    import subprocess
    import threading

    import httpx
    from conftest import KB_COMMAND, kb_env

    data = tmp_path / "data"
    server = serve(data)
    mp3 = encode(spoken.path, tmp_path / "panel.mp3")
    answered: list[float] = []

    def poll() -> None:  # other requests are answered while the server transcribes
        while len(answered) < 5:
            answered.append(httpx.get(f"{server.url}/v1/health", timeout=30).elapsed.total_seconds())

    watcher = threading.Thread(target=poll)
    watcher.start()
    run = subprocess.run([KB_COMMAND, "ingest", str(mp3), "--json"], env=kb_env(data), capture_output=True, text=True, timeout=300)
    watcher.join(timeout=60)
    assert run.returncode == 0, run.stderr
    assert '"kind": "transcript"' in run.stdout and len(answered) == 5
    vtt = httpx.get(f"{server.url}/v1/documents/panel.mp3/transcript")
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt") and "billing migration" in vtt.text
    assert 'filename="panel.vtt"' in vtt.headers["content-disposition"]
    assert httpx.get(f"{server.url}/v1/documents/nope.mp3/transcript").status_code == 404
    big = httpx.post(f"{server.url}/v1/documents", files={"file": ("lies.mp3", b"not audio at all" * 100)})
    assert big.status_code == 422 and "not a readable audio or video file" in big.json()["error"]["message"]


@pytest.mark.slow  # a real `kb serve`
def test_a_caption_file_named_transcript_vtt_is_a_document_like_any_other(tmp_path: Path, serve) -> None:
    import httpx
    from conftest import ingest_into

    folder = tmp_path / "talks" / "keynote"
    folder.mkdir(parents=True)
    (folder / "transcript.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ada Lind>Zeppelin hangars were our first data centres.\n")
    assert ingest_into(tmp_path / "data", [tmp_path / "talks"]).failed == 0
    server = serve(tmp_path / "data")
    assert httpx.get(f"{server.url}/v1/documents/keynote/transcript.vtt").json()["doc_id"] == "keynote/transcript.vtt"
    assert httpx.get(f"{server.url}/v1/documents/keynote/transcript.vtt/transcript").status_code == 404  # no recording
    assert httpx.delete(f"{server.url}/v1/documents/keynote/transcript.vtt").json() == {"deleted": "keynote/transcript.vtt"}


@pytest.mark.slow  # a real `kb serve`
def test_a_served_store_transcribes_without_holding_up_other_writers(spoken, tmp_path: Path, serve) -> None:
    import threading
    import time

    import httpx

    long_dir = tmp_path / "long"
    long_dir.mkdir()
    long = encode(speak(long_dir, PANEL * 6).path, tmp_path / "long.mp3")  # ~3 minutes: seconds of transcription
    server = serve(tmp_path / "data")
    finished: dict[str, float] = {}

    def upload(name: str, body: bytes) -> None:
        answer = httpx.post(f"{server.url}/v1/documents", files={"file": (name, body)}, timeout=600)
        assert answer.status_code == 200, answer.text
        finished[name] = time.perf_counter()

    recording = threading.Thread(target=upload, args=("long.mp3", long.read_bytes()))
    recording.start()
    time.sleep(1.0)  # the server is transcribing now
    upload("notes.md", b"# Notes\n\nZeppelin hangars hold the servers.\n")
    recording.join(timeout=600)
    assert finished["notes.md"] < finished["long.mp3"]  # the text went in while the recording was being transcribed
