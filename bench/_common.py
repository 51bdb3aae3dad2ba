"""Helpers shared by the benchmarks: the JSON line format of shared/BENCHMARKS.md."""

from __future__ import annotations

import json
import statistics
import sys
from typing import Any


def report(
    bench: str,
    figure: str,
    ours: list[float],
    peer: str | None,
    peer_values: list[float] | None,
    better: str,
    goal: float | None = None,
) -> dict[str, Any]:
    """Print one comparison as a JSON line (medians of the runs) and return it."""
    ours_med = statistics.median(ours)
    peer_med = statistics.median(peer_values) if peer_values else None
    line: dict[str, Any] = {
        "bench": bench,
        "figure": figure,
        "ours": round(ours_med, 4),
        "peer": peer,
        "peer_value": round(peer_med, 4) if peer_med is not None else None,
        "ratio": round(ours_med / peer_med, 3) if peer_med else None,
        "better": better,
        "runs": len(ours),
    }
    if goal is not None:
        line["goal"] = goal
    print(json.dumps(line), flush=True)
    return line


def log(message: str) -> None:
    """Progress to standard error (standard output carries only JSON lines)."""
    print(message, file=sys.stderr, flush=True)
