"""YAML front matter (`---` block at the top of .md/.txt), read with a safe loader only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from ingest.errors import ReadError
from kb.contract import MAX_SPEAKER_CHARS

ALLOWED = ("title", "kind", "author", "date", "url", "speakers", "people")
MAX_FRONT_MATTER_CHARS = 64_000
MAX_SPEAKERS = 200


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (the contract's front-matter fields, the body without the block)."""
    import frontmatter

    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end > MAX_FRONT_MATTER_CHARS:
        raise ReadError(f"front matter longer than {MAX_FRONT_MATTER_CHARS:,} characters: keep it to the title, kind, author, date, url and speakers")
    try:
        post = frontmatter.loads(text)  # python-frontmatter uses yaml.SafeLoader
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise ReadError(f"invalid YAML front matter{line}: fix the block between the '---' lines or remove it") from None
    except Exception as exc:  # python-frontmatter raises plain errors for odd blocks
        raise ReadError(f"unreadable front matter ({exc.__class__.__name__}): fix the block between the '---' lines") from None
    meta = _normalise(dict(post.metadata))
    return meta, post.content


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key in ALLOWED:
        value = raw.get(key)
        if value is None:
            continue
        if key == "speakers" and isinstance(value, dict):  # labels to people: {SPEAKER_00: Maya Chen}
            if len(value) > MAX_SPEAKERS or not all(isinstance(v, (str, int)) and str(v).strip() for v in value.values()):
                raise ReadError(f"front matter 'speakers' maps at most {MAX_SPEAKERS} labels to names ('SPEAKER_00: Maya Chen'): fix it")
            meta["speaker_names"] = {str(label).strip(): str(name).strip()[:MAX_SPEAKER_CHARS] for label, name in value.items()}
        elif key == "speakers":
            if isinstance(value, str):
                value = [part.strip() for part in value.split(",")]
            if not isinstance(value, list) or len(value) > MAX_SPEAKERS or not all(isinstance(v, (str, int)) for v in value):
                raise ReadError(f"front matter 'speakers' must be a list of at most {MAX_SPEAKERS} names, or labels mapped to names: fix it")
            meta[key] = [str(v).strip()[:MAX_SPEAKER_CHARS] for v in value if str(v).strip()]
        elif key == "people":
            meta[key] = _people(value)
        elif key == "date" and isinstance(value, (dt.date, dt.datetime)):
            meta[key] = value.isoformat()
        elif isinstance(value, (str, int, float)):
            meta[key] = str(value).strip()
        else:
            raise ReadError(f"front matter '{key}' must be a single value, not a {type(value).__name__}: fix it to plain text")
    return meta


def _people(value: Any) -> dict[str, str]:
    """`people: {Maya Chen: [Dr. Maya Chen, maya, "@mchen"]}` -> {alias: person}: other names one person goes by."""
    problem = f"front matter 'people' maps each person to their other names, e.g. 'Maya Chen: [Dr. Maya Chen, maya]' (at most {MAX_SPEAKERS}): fix it"
    if not isinstance(value, dict) or len(value) > MAX_SPEAKERS:
        raise ReadError(problem)
    aliases: dict[str, str] = {}
    for person, names in value.items():
        names = [names] if isinstance(names, (str, int)) else names
        if not str(person).strip() or not isinstance(names, list) or not all(isinstance(n, (str, int)) and str(n).strip() for n in names):
            raise ReadError(problem)
        for name in names:
            aliases[str(name).strip()[:MAX_SPEAKER_CHARS]] = str(person).strip()[:MAX_SPEAKER_CHARS]
    if len(aliases) > MAX_SPEAKERS * 4:
        raise ReadError(problem)
    return aliases
