"""A recording's speech as timed segments: its audio decoded (PyAV, inside faster-whisper) and transcribed.

The model is loaded once per process and kept (a few hundred MB); int8 on the CPU
with greedy decoding, which on two cores runs at about a tenth of real time for
Whisper base (benchmarks/audio_eval.py). Bad files are refused before any
transcription starts: not audio, no audio track, longer than KB_MAX_AUDIO_MINUTES.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from kb.audio.whisper_model import INSTALL, model_path
from kb.errors import InvalidInput, ModelUnavailable
from kb.settings import Settings

SAMPLE_RATE = 16_000  # what Whisper listens at
WINDOW_SECONDS = 600.0  # transcribed at a time (`windows`)
CUT_SEARCH_SECONDS = 30.0  # a window ends at the quietest moment of its last half minute
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


_DONE: OrderedDict[str, list[Segment]] = OrderedDict()  # the last transcriptions made, by recording and model
KEEP_DONE = 32


def transcribe(data: bytes, settings: Settings, progress: Progress | None = None) -> list[Segment]:
    """The speech in a recording's bytes, segment by segment (empty: no speech found).

    The last KEEP_DONE results are kept: ingest transcribes a recording before it takes the
    store's write lock (minutes of work must not hold up every other writer), and the write
    that follows, under the lock, finds the segments here.
    """
    key = (
        hashlib.sha256(data).hexdigest()
        + f"|{settings.whisper_model}|{settings.whisper_language}|{settings.model_cache}|{settings.max_audio_minutes}"
    )
    with _LOCK:
        if key in _DONE:
            _DONE.move_to_end(key)
            return list(_DONE[key])
    found = _transcribe(data, settings, progress)
    with _LOCK:
        _DONE[key] = found
        while len(_DONE) > KEEP_DONE:
            _DONE.popitem(last=False)
    return list(found)


def _transcribe(data: bytes, settings: Settings, progress: Progress | None) -> list[Segment]:
    audio = decode(data, settings.max_audio_minutes)
    seconds = len(audio) / SAMPLE_RATE
    if seconds < 0.1:
        raise Unreadable("the file holds no audio (a video without a sound track, or an empty recording): give it a file with sound")
    whisper = model(settings)
    found = []
    for start, end in windows(audio):
        pieces, _ = whisper.transcribe(audio[start:end], language=settings.whisper_language or None, beam_size=1, vad_filter=True)
        offset = start / SAMPLE_RATE
        for piece in pieces:  # lazy: each segment is transcribed as it is read
            text = " ".join(piece.text.split())
            if text:
                found.append(Segment(offset + float(piece.start), offset + float(piece.end), text))
            if progress is not None:
                progress(min(offset + float(piece.end), seconds), seconds)
    if progress is not None:
        progress(seconds, seconds)
    return found


def windows(audio, window: float = WINDOW_SECONDS, search: float = CUT_SEARCH_SECONDS) -> list[tuple[int, int]]:
    """(start, end) sample ranges of about `window` seconds, each cut at the quietest half second of the
    `search` seconds before its end (a pause between words, not the middle of one).

    Why windows: transcribing an hour at once held ~3.9 GB (the whole recording's voice
    detection and features at once); ten-minute windows keep the peak near one window's.
    """
    size, total = int(window * SAMPLE_RATE), len(audio)
    step, look = SAMPLE_RATE // 2, int(search * SAMPLE_RATE)
    cuts, start = [], 0
    while total - start > size:
        lo, hi = start + size - look, start + size
        energy = [float((audio[at : at + step] ** 2).mean()) for at in range(lo, hi - step + 1, step)]
        cut = lo + step * min(range(len(energy)), key=energy.__getitem__) + step // 2
        cuts.append((start, cut))
        start = cut
    cuts.append((start, total))
    return cuts


def decode(data: bytes, max_minutes: float | None = None):
    """The recording's first audio track as 16 kHz mono float32 (any format FFmpeg reads), decoded frame by frame.

    A recording over `max_minutes` is refused before it fills memory: by the length its
    header gives, else as soon as the samples decoded pass it (a 7 MB FLAC of ten silent
    hours would otherwise decode to gigabytes).
    """
    try:
        import av
        import numpy as np
    except ImportError:
        raise ModelUnavailable(f"transcribing recordings needs the audio extra: `{INSTALL}`") from None
    limit = None if max_minutes is None else int(max_minutes * 60 * SAMPLE_RATE)
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise Unreadable("the file has no audio track (a video without sound): nothing to transcribe")
            stream = container.streams.audio[0]
            declared = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
            if limit is not None and declared and declared * SAMPLE_RATE > limit:
                raise _too_long(declared, max_minutes)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            chunks, count = [], 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    count += len(chunk)
                if limit is not None and count > limit:
                    raise _too_long(count / SAMPLE_RATE, max_minutes)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration) as exc:
        raise Unreadable(f"not a readable audio or video file ({exc.__class__.__name__}): check it plays, or export it again") from None
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return samples.astype(np.float32) / 32768.0


def _too_long(seconds: float, max_minutes: float | None) -> Unreadable:
    return Unreadable(
        f"the recording is {seconds / 60:.1f} minutes long, over KB_MAX_AUDIO_MINUTES={max_minutes:g}: raise the setting, or cut the recording"
    )


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
