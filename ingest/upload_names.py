"""The doc_id of a document that arrives as bytes: an upload's bare file name, a chosen relative path, an MCP name.

Such names come from other machines, so nothing in a name may point outside the
document's own id space: directory parts of an upload's file name are dropped,
and a chosen doc_id must be a plain relative POSIX path (no `..`, no leading `/`,
no backslashes, control or direction-changing characters, no hidden parts, at
most MAX_DOC_ID_CHARS) ending in a supported suffix. `checked_doc_id` is that one
rule; `ingest_bytes` applies it to every name, whichever way it came in.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

from kb.contract import FORMATS, SUPPORTED
from kb.errors import InvalidInput, UnsupportedType

MAX_DOC_ID_CHARS = 512


def upload_doc_id(file_name: str | None, doc_id: str | None = None) -> str:
    """The doc_id to store an upload under, or an error that names the field and the fix."""
    if doc_id is not None and doc_id.strip():
        return checked_doc_id(doc_id.strip(), "doc_id")
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise InvalidInput("file: the upload has no file name; send it as multipart field 'file' with a name such as panel.vtt")
    return checked_doc_id(name, "file name")


def checked_doc_id(value: str, field: str) -> str:
    """`value` when it is a safe doc_id, else an error naming `field` and the fix."""
    if len(value) > MAX_DOC_ID_CHARS:
        raise InvalidInput(f"{field}: longer than {MAX_DOC_ID_CHARS} characters; use a shorter name")
    if "\\" in value:
        raise InvalidInput(f"{field}: contains backslashes; use a plain relative path like 2026/panel.vtt")
    if hidden := hidden_characters(value):
        raise InvalidInput(f"{field}: contains {hidden}; use a plain relative path like 2026/panel.vtt")
    path = PurePosixPath(value)
    if path.is_absolute() or any(part in {"", ".", ".."} for part in value.split("/")):
        raise InvalidInput(f"{field} '{value}': must be a relative path without '.' or '..' parts, e.g. 2026/panel.vtt")
    if any(part.startswith(".") for part in path.parts):
        raise InvalidInput(f"{field} '{value}': hidden names (starting with '.') are not stored; rename the file")
    if path.suffix.lower() not in FORMATS:
        raise UnsupportedType(f"{field} '{value}': unsupported file type '{path.suffix or '(none)'}'; upload one of {SUPPORTED}")
    return value


def hidden_characters(name: str) -> str | None:
    """What in a name is invisible or changes how it reads (None: nothing).

    Control characters, and Unicode format characters: a right-to-left override
    (U+202E) makes `gpj.exe` show as `exe.jpg` in a listing, zero-width ones make
    two names look the same.
    """
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return f"an invisible or direction-changing character (U+{ord(char):04X})"
    return None
