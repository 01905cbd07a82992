"""A recording's speech as timed segments: its audio decoded (PyAV, inside faster-whisper) and transcribed.

The model is loaded once per process and kept (a few hundred MB); int8 on the CPU
with greedy decoding, which on two cores runs at about a tenth of real time for
Whisper base (benchmarks/audio_eval.py). Bad files are refused before any
transcription starts: not audio, no audio track, longer than KB_MAX_AUDIO_MINUTES.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kb.audio.whisper_model import INSTALL, model_path
from kb.errors import InvalidInput, ModelUnavailable
from kb.settings import Settings

SAMPLE_RATE = 16_000  # what Whisper listens at
_MODELS: dict[str, object] = {}
_LOCK = threading.Lock()

Progress = Callable[[float, float], None]  # (seconds of audio transcribed, seconds in all)


@dataclass
class Segment:
    start: float
    end: float
    text: str


class Unreadable(InvalidInput):
    """A recording that cannot be transcribed, with what is wrong and what to do."""


def transcribe(data: bytes, settings: Settings, progress: Progress | None = None) -> list[Segment]:
    """The speech in a recording's bytes, segment by segment (empty: no speech found)."""
    audio = decode(data)
    seconds = len(audio) / SAMPLE_RATE
    if seconds < 0.1:
        raise Unreadable("the file holds no audio (a video without a sound track, or an empty recording): give it a file with sound")
    if seconds > settings.max_audio_minutes * 60:
        raise Unreadable(
            f"the recording is {seconds / 60:.0f} minutes long, over KB_MAX_AUDIO_MINUTES={settings.max_audio_minutes:g}: "
            "raise the setting, or cut the recording"
        )
    segments, _ = model(settings).transcribe(audio, language=settings.whisper_language or None, beam_size=1, vad_filter=True)
    found = []
    for segment in segments:  # lazy: each segment is transcribed as it is read
        text = " ".join(segment.text.split())
        if text:
            found.append(Segment(float(segment.start), float(segment.end), text))
        if progress is not None:
            progress(min(float(segment.end), seconds), seconds)
    if progress is not None:
        progress(seconds, seconds)
    return found


def decode(data: bytes):
    """The recording's first audio track as 16 kHz mono float32 (any format FFmpeg reads)."""
    try:
        from faster_whisper import decode_audio
    except ImportError:
        raise ModelUnavailable(f"transcribing recordings needs the audio extra: `{INSTALL}`") from None
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.audio:
                raise Unreadable("the file has no audio track (a video without sound): nothing to transcribe")
        return decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration) as exc:
        raise Unreadable(f"not a readable audio or video file ({exc.__class__.__name__}): check it plays, or export it again") from None


def model(settings: Settings):
    """The Whisper model KB_WHISPER_MODEL names, loaded once per process."""
    from faster_whisper import WhisperModel

    key = f"{settings.whisper_model}|{settings.model_cache}"
    with _LOCK:
        if key not in _MODELS:
            path = model_path(settings.whisper_model, settings.model_cache)
            try:
                _MODELS[key] = WhisperModel(path, device="cpu", compute_type="int8")
            except Exception as exc:  # a folder that is no CTranslate2 model, or a name that cannot be downloaded here
                raise ModelUnavailable(
                    f"cannot load the speech model KB_WHISPER_MODEL={settings.whisper_model} ({exc.__class__.__name__}): "
                    "use 'bundled', or a local faster-whisper (CTranslate2) folder"
                ) from None
        return _MODELS[key]
