"""Helpers shared by the benchmarks: the JSON line format of shared/BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO


def report(
    bench: str,
    figure: str,
    ours: list[float],
    peer: str | None,
    peer_values: list[float] | None,
    better: str,
    goal: float | None = None,
    out: TextIO | None = None,
) -> dict[str, Any]:
    """Print one comparison as a JSON line (medians of the runs) to ``out`` (stdout) and return it."""
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
    print(json.dumps(line), file=out or sys.stdout, flush=True)
    return line


def json_only_stdout() -> TextIO:
    """A stream on the real stdout for the JSON lines; file descriptor 1 then points to stderr.

    ezkl (Rust) prints reports straight to file descriptor 1, which would mix with the JSON lines.
    """
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    return out


def alternate(
    ours: Callable[[], object], peer: Callable[[], object], runs: int
) -> tuple[list[float], list[float]]:
    """Seconds per run of each, alternated A B B A A B ... (no side always goes first) after a warm-up."""
    ours()
    peer()
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        pair = ((ours, a), (peer, b)) if i % 2 == 0 else ((peer, b), (ours, a))
        for fn, into in pair:
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    return a, b


def log(message: str) -> None:
    """Progress to standard error (standard output carries only JSON lines)."""
    print(message, file=sys.stderr, flush=True)
