"""Real speech made here: Debian's espeak-ng speaks a scripted two-voice panel, PyAV re-encodes it as MP3 or MP4.

The script's lines, their voices and where each begins are known, so a test can ask
whether search finds a phrase at the time it was spoken.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22_050  # espeak-ng's own rate
VOICES = {"host": "en-us", "guest": "en-gb+m3"}
PANEL = [
    ("host", "Welcome to the panel. Today we talk about sponsorship and promotion."),
    ("guest", "A sponsor spends their own credibility to put you in the room."),
    ("host", "How did you find your first sponsor?"),
    ("guest", "I wrote the design document for the billing migration, and my director read it."),
    ("host", "Thank you both, that is all the time we have."),
]
PAUSE = 1.5  # seconds of silence between lines


@dataclass
class Spoken:
    path: Path
    starts: list[float]  # where each line of PANEL begins, in seconds


def speak(folder: Path, lines: list[tuple[str, str]] = PANEL, pause: float = PAUSE) -> Spoken:
    """The panel as one 16-bit mono WAV, each line in its voice, with pauses; where each line begins."""
    espeak = shutil.which("espeak-ng")
    assert espeak, "espeak-ng is missing: `make speech` installs it"
    pieces, starts, at = [], [], 0.0
    for index, (voice, text) in enumerate(lines):
        part = folder / f".line-{index}.wav"
        subprocess.run([espeak, "-v", VOICES[voice], "-s", "150", "-w", str(part), text], check=True, capture_output=True)
        samples = _samples(part)
        part.unlink()
        silence = np.zeros(int(pause * RATE), dtype=np.int16)
        starts.append(at + pause)
        pieces += [silence, samples]
        at += pause + len(samples) / RATE
    pieces.append(np.zeros(int(pause * RATE), dtype=np.int16))
    path = folder / "panel.wav"
    _write(path, np.concatenate(pieces))
    return Spoken(path, starts)


def silence(path: Path, seconds: float = 5.0) -> Path:
    _write(path, np.zeros(int(seconds * RATE), dtype=np.int16))
    return path


def encode(source: Path, target: Path, video: bool = False, audio: bool = True) -> Path:
    """`source` (a WAV) re-encoded by PyAV: MP3, or an MP4 with a small moving picture (and its sound, unless `audio` is off)."""
    import av

    samples = _samples(source)
    with av.open(str(target), "w") as out:
        sound = out.add_stream("aac" if target.suffix == ".mp4" else "libmp3lame", rate=RATE, layout="mono") if audio else None
        picture = out.add_stream("mpeg4", rate=10) if video else None
        if picture is not None:
            picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
            for n in range(int(len(samples) / RATE * 10)):
                frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), n % 255, dtype=np.uint8), format="rgb24")
                out.mux(picture.encode(frame))
            out.mux(picture.encode())
        if sound is not None:
            for start in range(0, len(samples), 1024):
                chunk = samples[start : start + 1024].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
                frame.sample_rate = RATE
                out.mux(sound.encode(frame))
            out.mux(sound.encode())
    return target


def _samples(path: Path) -> np.ndarray:
    with wave.open(str(path)) as handle:
        assert handle.getframerate() == RATE and handle.getnchannels() == 1
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)


def _write(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "w") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(samples.astype(np.int16).tobytes())
