"""Turning files into stored passages: readers, chunking and the idempotent pipeline."""

from ingest.pipeline import ingest_bytes, ingest_paths

__all__ = ["ingest_bytes", "ingest_paths"]
