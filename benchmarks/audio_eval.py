"""Recordings: word error rate and real-time factor of the bundled speech model on speech made here.

espeak-ng speaks scripted panels (tests/recordings.py: two voices, known words,
pauses): the short panel as WAV, MP3 and MP4, and a long one (the panel's lines
repeated, about `--minutes` long) as MP3. Each is transcribed as `kb ingest` would
(kb/audio/transcribe.py, int8 on the CPU, greedy). WER is word-level edit distance
over the script's words (lower case, punctuation out); the real-time factor is
transcription seconds over audio seconds (decoding included; < 1 is faster than
real time). The start error is how far each line's first transcribed segment
begins from where the line was spoken. Synthetic speech is clean: real panels
(crosstalk, rooms, accents) will have a higher WER; the times transfer.

Run: `.venv/bin/python benchmarks/audio_eval.py [--minutes 10]` (needs `make speech` and the audio extra).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the speech maker the tests use

from recordings import PANEL, encode, speak  # noqa: E402

from benchmarks.common import print_table  # noqa: E402
from kb.audio.transcribe import SAMPLE_RATE, decode, transcribe  # noqa: E402
from kb.settings import Settings  # noqa: E402


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word edit distance / reference length."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1] / max(1, len(reference))


def measure(path: Path, lines: list[tuple[str, str]], starts: list[float], settings: Settings) -> dict:
    data = path.read_bytes()
    began = time.perf_counter()
    segments = transcribe(data, settings)
    took = time.perf_counter() - began
    seconds = len(decode(data)) / SAMPLE_RATE
    reference = [w for _, text in lines for w in words(text)]
    hypothesis = [w for s in segments for w in words(s.text)]
    errors = [min((abs(s.start - start) for s in segments), default=99.0) for start in starts]
    return {
        "recording": path.name,
        "audio min": f"{seconds / 60:.1f}",
        "transcribe s": f"{took:.1f}",
        "real-time factor": f"{took / seconds:.3f}",
        "WER": f"{wer(reference, hypothesis):.3f}",
        "start error p50 s": f"{sorted(errors)[len(errors) // 2]:.2f}" if errors else "-",  # a real recording: no known times
        "start error max s": f"{max(errors):.2f}" if errors else "-",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the long recording")
    parser.add_argument(
        "--real", nargs=2, action="append", default=[], metavar=("RECORDING", "REFERENCE"), help="also a real recording and its reference text"
    )
    args = parser.parse_args()
    settings = Settings()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        short = speak(work)
        for path in (short.path, encode(short.path, work / "panel.mp3"), encode(short.path, work / "panel.mp4", video=True)):
            rows.append(measure(path, PANEL, short.starts, settings))
        repeats = max(1, round(args.minutes * 60 / (short.starts[-1] + 6)))
        long_dir = work / "long"
        long_dir.mkdir()
        long = speak(long_dir, PANEL * repeats)
        rows.append(measure(encode(long.path, work / "long-panel.mp3"), PANEL * repeats, long.starts, settings))
    for recording, reference in args.real:  # e.g. public-domain speech fetched from a public repository
        rows.append(measure(Path(recording), [("", reference)], [], settings))
    title = f"Recordings made by espeak-ng (and any --real ones), transcribed by the bundled Whisper base (int8, CPU, language {settings.whisper_language or 'detected'})"
    print_table(title, list(rows[0]), [list(row.values()) for row in rows])


if __name__ == "__main__":
    main()
