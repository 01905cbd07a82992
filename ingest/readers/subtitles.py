"""WebVTT and SubRip: cues grouped into speaker turns with start and end times."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from ingest.errors import ReadError
from ingest.readers.turns import SPEAKER, Turn, clean_speaker, is_speaker_label, merge_same_speaker
from kb.contract import MAX_SPEAKER_CHARS

# How a cue names its speaker when it has no <v Name> voice tag.
_CUE_SPEAKER = (
    re.compile(rf"^\s*>>\s*(?P<name>{SPEAKER})\s*:\s*(?P<text>.*)$", re.S),
    re.compile(rf"^\s*\[(?P<name>[^\]\n]{{1,{MAX_SPEAKER_CHARS}}})\]\s*:?\s*(?P<text>.*)$", re.S),
    re.compile(rf"^\s*(?P<name>{SPEAKER})\s*:\s+(?P<text>.*)$", re.S),
)
_CONTINUATION = re.compile(r"^\s*>>\s*(?P<text>.*)$", re.S)
_TAGS = re.compile(r"<[^>]+>")


def split_cue_speaker(text: str, used: Counter[str] | None = None) -> tuple[str | None, str]:
    """(speaker or None, text) for one cue's text.

    A bare `Name: text` names a speaker only with evidence (`is_speaker_label`, given how
    often the file uses that label): a caption line "Let us start with a background:" is text.
    """
    for index, pattern in enumerate(_CUE_SPEAKER):
        match = pattern.match(text)
        if match:
            name = match.group("name")
            if index == len(_CUE_SPEAKER) - 1 and not is_speaker_label(name, (used or Counter())[name.strip().casefold()]):
                break
            return clean_speaker(name), match.group("text").strip()
    continuation = _CONTINUATION.match(text)
    return None, (continuation.group("text") if continuation else text).strip()


def _cues_to_turns(cues: list[tuple[str | None, str, float, float]]) -> list[Turn]:
    """A cue that names nobody continues the previous speaker's turn."""
    bare = _CUE_SPEAKER[-1]
    used = Counter(m.group("name").strip().casefold() for _, text, _, _ in cues if (m := bare.match(text)))
    turns: list[Turn] = []
    current: str | None = None
    shown = ""  # the last caption line on screen: rolling captions repeat it at the top of the next cue
    for voice, text, start, end in cues:
        text, shown = _new_lines(text, shown)
        speaker, body = (voice, text) if voice else split_cue_speaker(text, used)
        body = re.sub(r"\s+", " ", _TAGS.sub("", body)).strip()
        if not body:
            continue
        current = speaker or current
        turns.append(Turn(current, body, start, end))
    return merge_same_speaker(turns)


def _new_lines(text: str, shown: str) -> tuple[str, str]:
    """A cue's lines without those still on screen from the cue before, and the line now shown last.

    YouTube's automatic captions roll: each cue repeats the previous cue's last line
    above the new words (and brief cues repeat it alone), so read naively every
    phrase appears two or three times.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    plain = [" ".join(_TAGS.sub("", line).split()) for line in lines]
    while plain and shown and plain[0] == shown:
        lines, plain = lines[1:], plain[1:]
    return "\n".join(lines), (plain[-1] if plain else shown)


# A line that tries to be a cue timing: a clock-like start (digits and a separator) before an arrow. Caption text
# with an arrow ("2x --> 4x faster") has no separator there.
_TIMING_LIKE = re.compile(r"^\s*\d[\dxX]*[:.,][\d:.,xX ]*-->")


@cache
def _timing_patterns(fmt: str) -> re.Pattern[str]:
    """The parser's own pattern for a timing line, so that only lines it would not take are refused."""
    if fmt == "vtt":
        from webvtt.vtt import WebVTTCueBlock

        return WebVTTCueBlock.CUE_TIMINGS_PATTERN
    import srt

    stamp = srt.RGX_TIMESTAMP
    return re.compile(rf"^\s*{stamp}\s*-->\s*{stamp}")


def _check_timings(text: str, fmt: str, shape: str) -> None:
    """ReadError naming the first timing line the format's parser would not take.

    webvtt-py drops a cue whose timing line does not parse, words and all, and
    SubRip's parser keeps it as text of the cue before: the file would be stored
    with words lost or a timing read as speech, and reported "added". So the file
    fails, naming the line to fix.
    """
    timing = _timing_patterns(fmt)
    for number, line in enumerate(text.splitlines(), start=1):
        if _TIMING_LIKE.match(line) and not timing.match(line):
            shown = line.strip()[:80].replace("'", "’")
            raise ReadError(f"line {number}: '{shown}' is not a cue timing: fix it to '{shape}' (the cue's words would be lost)")


def parse_vtt(text: str) -> list[Turn]:
    import webvtt

    _check_timings(text, "vtt", "hh:mm:ss.mmm --> hh:mm:ss.mmm")
    try:
        captions = webvtt.from_string(text)
    except Exception as exc:
        raise ReadError(
            f"not valid WebVTT ({_first_line(exc)}): check the 'WEBVTT' header and the 'hh:mm:ss.mmm --> hh:mm:ss.mmm' cue lines"
        ) from None
    cues = []
    for caption in captions.captions:
        voice = getattr(caption, "voice", None)
        raw = caption.raw_text if hasattr(caption, "raw_text") else caption.text
        if voice:
            raw = re.sub(r"^<v[^>]*>", "", raw.strip())
        cues.append((clean_speaker(voice) if voice else None, raw, float(caption.start_in_seconds), float(caption.end_in_seconds)))
    return _cues_to_turns(cues)


def parse_srt(text: str) -> list[Turn]:
    import srt

    _check_timings(text, "srt", "hh:mm:ss,mmm --> hh:mm:ss,mmm")
    try:
        subtitles = list(srt.parse(text))
    except Exception as exc:
        raise ReadError(
            f"not valid SubRip near '{_bad_part(exc)}': fix it so each cue has a number, a 'hh:mm:ss,mmm --> hh:mm:ss,mmm' line and text, with blank lines between cues"
        ) from None
    cues: list[tuple[str | None, str, float, float]] = [(None, s.content, s.start.total_seconds(), s.end.total_seconds()) for s in subtitles]
    return _cues_to_turns(cues)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:160]


def _bad_part(exc: Exception) -> str:
    """The first line the SubRip parser could not match, else its own first line."""
    unmatched = str(getattr(exc, "unmatched_content", "") or "").strip()
    return (" / ".join(unmatched.splitlines()[:2])[:60] if unmatched else _first_line(exc)[:60]).replace("'", "’")
