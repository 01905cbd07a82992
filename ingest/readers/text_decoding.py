"""Turn a file's bytes into text, whatever encoding a transcript tool chose."""

from __future__ import annotations

import codecs

from ingest.errors import ReadError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> str:
    """Decode by BOM, else UTF-8, else cp1252/latin-1; normalise line endings.

    Binary files (NUL bytes in what should be text) are refused rather than
    stored as garbage.
    """
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding:
        text = data.decode(encoding, errors="replace")
    else:
        if b"\x00" in data[:8192]:
            raise ReadError("looks like a binary file (NUL bytes), not text: convert it to UTF-8 text or remove it")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text
