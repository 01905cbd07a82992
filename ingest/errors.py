"""Errors raised while reading a file; the message names the problem and the fix."""

from __future__ import annotations


class ReadError(Exception):
    """A file that cannot be ingested. The message is shown to the user as is."""
