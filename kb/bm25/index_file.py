"""The BM25 side on disk: one `.npz` file of plain arrays with a JSON header, never a pickle.

Layout (numpy's `np.savez`, read with `allow_pickle=False`):

- `header`: UTF-8 JSON as uint8: `{"format": "panel-kb-bm25", "version": 4,
  "generation", "rows", "main_rows", "live_rows", "live_length"}`.
- Strings as UTF-8 blobs with int64 end offsets (`<name>_utf8`, `<name>_ends`):
  `vocab` (term id order), `ids` (one per row, dead rows included), and the
  tables `doc_table`, `kind_table`, `speaker_table`.
- Per row: `doc_codes`, `kind_codes` (int32 into the tables), `places` (int32,
  position in its document), `lengths` (int64 tokens), `alive` (uint8),
  `row_ends` (int64 ends into `terms` / `counts`, int32 term ids and counts),
  `speaker_ends` (int64 ends into `speaker_codes`).
- `df` (int64 per term id), and the main postings `post_start`, `post_rows`,
  `post_counts`.

A file of another format or version, or one that cannot be read, loads as
nothing: the caller then rebuilds the index from Chroma, which holds every
passage's text. Writes go to a temporary file renamed over the old one, so a
reader sees the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from array import array
from pathlib import Path

import numpy as np

from kb.bm25.postings import Rows

FORMAT, VERSION = "panel-kb-bm25", 4


def save(path: Path, generation: str, rows: Rows) -> None:
    """Write `rows` as reflecting the store's `generation`, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = _arrays(rows)
    header = {"format": FORMAT, "version": VERSION, "generation": generation, "rows": len(rows.ids)}
    header |= {"main_rows": rows.main_rows, "live_rows": rows.live_rows, "live_length": rows.live_length}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".bm25-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, allow_pickle=False, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path) -> tuple[str, Rows] | None:
    """(generation, rows) from the file, or None when it is missing, unreadable or of another layout."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            header = json.loads(saved["header"].tobytes())
            if header.get("format") != FORMAT or header.get("version") != VERSION:
                return None
            return str(header["generation"]), _rows(header, {name: saved[name] for name in saved.files})
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError):
        return None


def _arrays(rows: Rows) -> dict[str, np.ndarray]:
    docs, doc_codes = _categories(rows.doc_ids)
    kinds, kind_codes = _categories(rows.kinds)
    speakers, speaker_codes = _categories([name for names in rows.speakers for name in names])
    arrays = {
        "df": rows.df,
        "doc_codes": doc_codes,
        "kind_codes": kind_codes,
        "speaker_codes": speaker_codes,
        "speaker_ends": np.cumsum([len(names) for names in rows.speakers], dtype=np.int64),
        "places": np.frombuffer(rows.places, dtype=np.int32),
        "lengths": np.frombuffer(rows.lengths, dtype=np.int64),
        "alive": np.frombuffer(rows.alive, dtype=np.uint8),
        "row_ends": np.cumsum([len(terms) for terms in rows.terms], dtype=np.int64),
        "terms": np.concatenate(rows.terms) if rows.terms else np.zeros(0, np.int32),
        "counts": np.concatenate(rows.counts) if rows.counts else np.zeros(0, np.int32),
        "post_start": rows.post_start,
        "post_rows": rows.post_rows,
        "post_counts": rows.post_counts,
    }
    for name, strings in (("vocab", list(rows.vocab)), ("ids", rows.ids), ("doc_table", docs), ("kind_table", kinds), ("speaker_table", speakers)):
        arrays[f"{name}_utf8"], arrays[f"{name}_ends"] = _pack(strings)
    return arrays


def _rows(header: dict, a: dict[str, np.ndarray]) -> Rows:
    rows = Rows()
    rows.vocab = {term: index for index, term in enumerate(_unpack(a, "vocab"))}
    rows.df = a["df"].astype(np.int64)
    rows.ids = _unpack(a, "ids")
    if len(rows.ids) != header["rows"]:
        raise ValueError("row count differs from the header")
    docs, kinds, names = _unpack(a, "doc_table"), _unpack(a, "kind_table"), _unpack(a, "speaker_table")
    rows.doc_ids = [docs[code] for code in a["doc_codes"].tolist()]
    rows.kinds = [kinds[code] for code in a["kind_codes"].tolist()]
    codes, ends = a["speaker_codes"].tolist(), a["speaker_ends"].tolist()
    rows.speakers = [tuple(names[code] for code in codes[start:end]) for start, end in zip([0, *ends], ends)]
    rows.places = array("i", a["places"].astype(np.int32).tobytes())
    rows.lengths = array("q", a["lengths"].astype(np.int64).tobytes())
    rows.alive = bytearray(a["alive"].tobytes())
    row_ends = a["row_ends"]
    rows.terms = np.split(a["terms"].astype(np.int32), row_ends[:-1]) if len(row_ends) else []
    rows.counts = np.split(a["counts"].astype(np.int32), row_ends[:-1]) if len(row_ends) else []
    rows.position = {chunk_id: index for index, (chunk_id, alive) in enumerate(zip(rows.ids, rows.alive)) if alive}
    rows.live_rows, rows.live_length, rows.main_rows = int(header["live_rows"]), int(header["live_length"]), int(header["main_rows"])
    rows.post_start, rows.post_rows, rows.post_counts = a["post_start"], a["post_rows"], a["post_counts"]
    rows.index_fields()
    return rows


def _categories(values: list[str]) -> tuple[list[str], np.ndarray]:
    """Distinct values (first-seen order) and each value's code: doc ids and kinds repeat over many rows."""
    table: dict[str, int] = {}
    codes = np.fromiter((table.setdefault(value, len(table)) for value in values), dtype=np.int32, count=len(values))
    return list(table), codes


def _pack(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [text.encode() for text in strings]
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), np.cumsum([len(e) for e in encoded], dtype=np.int64)


def _unpack(a: dict[str, np.ndarray], name: str) -> list[str]:
    blob, ends = a[f"{name}_utf8"].tobytes(), a[f"{name}_ends"].tolist()
    return [blob[start:end].decode() for start, end in zip([0, *ends], ends)]
