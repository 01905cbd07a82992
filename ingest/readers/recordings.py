"""Audio and video: the speech transcribed offline (kb/audio/) into timed turns, like a caption file's cues.

Whisper gives segments with times but no speakers, so a recording's turns name
nobody until `--speaker-name` or a people file says who spoke. The transcript is
also kept as WebVTT on the document's record (`transcript_vtt`), so a person can
download it, correct it and ingest the corrected `.vtt` in its place.
"""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.schema import Document

from ingest.errors import ReadError
from ingest.readers.turns import Turn, merge_same_speaker, turns_to_documents
from kb.errors import InvalidInput, ModelUnavailable
from kb.text.timecodes import seconds_to_vtt

Transcribe = Callable[[bytes], list]  # bytes -> segments with .start, .end, .text (kb.audio.transcribe.Segment)


def read_recording(data: bytes, metadata: dict, transcribe: Transcribe | None) -> list[Document]:
    """A recording's segments as one transcript (its turns keep every segment's time as a cue mark)."""
    if transcribe is None:
        raise ReadError("recordings are transcribed only by `kb ingest` and the API (a transcriber is needed)")
    try:
        segments = transcribe(data)
    except (InvalidInput, ModelUnavailable) as problem:  # a bad file, or no speech model here: this file fails, the others go in
        raise ReadError(problem.message) from None
    if not segments:
        raise ReadError("no speech found (silence, or music only): nothing to store")
    turns = merge_same_speaker([Turn(None, segment.text, segment.start, segment.end) for segment in segments])
    return turns_to_documents(turns, {**metadata, "transcript_vtt": to_vtt(segments)})


def to_vtt(segments: list) -> str:
    """The transcript as WebVTT, a cue per segment: what a person downloads to correct."""
    cues = [f"{seconds_to_vtt(s.start)} --> {seconds_to_vtt(s.end)}\n{s.text}" for s in segments]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
