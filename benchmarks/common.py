"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# PANEL_KB_EVAL_DIR: another copy of the evaluation data (tests/test_benchmarks.py runs every script on a tiny one).
EVAL_DIR = Path(os.environ.get("PANEL_KB_EVAL_DIR") or REPO.parent / "shared" / "eval")
RESULTS_DIR = REPO / "benchmarks" / "results"  # generated data and caches (git-ignored)


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def percentiles_ms(latencies: list[float]) -> tuple[float, float]:
    """(p50, p95) of latencies given in seconds, in milliseconds."""
    ordered = sorted(latencies)
    return 1000 * ordered[len(ordered) // 2], 1000 * ordered[int(len(ordered) * 0.95)]
