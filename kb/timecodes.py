"""Transcript times as people read them."""

from __future__ import annotations


def seconds_to_clock(seconds: float | None) -> str | None:
    """12.5 -> '00:00:12'; None stays None."""
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
