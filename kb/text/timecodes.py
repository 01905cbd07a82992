"""Transcript times as people read them."""

from __future__ import annotations


def seconds_to_clock(seconds: float | None) -> str | None:
    """12.5 -> '00:00:12'; None stays None."""
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def clock_to_seconds(clock: str | None) -> int | None:
    """'00:10:04' -> 604; None (or not a clock) -> None."""
    parts = (clock or "").split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    hours, minutes, seconds = map(int, parts)
    return hours * 3600 + minutes * 60 + seconds


def seconds_to_vtt(seconds: float) -> str:
    """12.5 -> '00:00:12.500': a WebVTT cue time."""
    millis = max(0, round(seconds * 1000))
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
