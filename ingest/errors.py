"""Errors raised while reading a file; the message names the problem and the fix."""

from __future__ import annotations

from kb.errors import UnreadableDocument


class ReadError(UnreadableDocument):
    """A file that cannot be ingested. The message is shown to the user as is (through the API, a 422)."""
