"""Transcript labels mapped to people ("SPEAKER_00" -> "Maya Chen"), as the CLI and the API take them.

A diarizer's captions (.vtt, .srt) cannot carry front matter, so the mapping comes
with the command (`kb ingest --speaker-name SPEAKER_00="Maya Chen"`) or the upload
(form field `speaker_names`, a JSON object). A text file's own front matter wins for it.
"""

from __future__ import annotations

import json

from kb.contract import MAX_SPEAKER_CHARS
from kb.errors import InvalidInput

MAX_NAMES = 200


def from_pairs(pairs: list[str]) -> dict[str, str]:
    """`["SPEAKER_00=Maya Chen", ...]` -> {label: name}."""
    names: dict[str, str] = {}
    for pair in pairs:
        label, sep, name = pair.partition("=")
        if not sep or not label.strip() or not name.strip():
            raise InvalidInput(f"--speaker-name '{pair}' is not LABEL=NAME: write it as --speaker-name 'SPEAKER_00=Maya Chen'")
        names[label.strip()] = name.strip()
    return _checked(names, "--speaker-name")


def from_json(text: str | None) -> dict[str, str]:
    """The upload field: a JSON object of label -> name ({} when absent)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidInput('speaker_names must be a JSON object of label to name, e.g. {"SPEAKER_00": "Maya Chen"}')
    return _checked({k.strip(): v.strip() for k, v in value.items()}, "speaker_names")


def _checked(names: dict[str, str], field: str) -> dict[str, str]:
    if len(names) > MAX_NAMES:
        raise InvalidInput(f"{field}: at most {MAX_NAMES} labels")
    if any(not label or not name or len(name) > MAX_SPEAKER_CHARS for label, name in names.items()):
        raise InvalidInput(f"{field}: every label needs a name of 1-{MAX_SPEAKER_CHARS} characters")
    return names
