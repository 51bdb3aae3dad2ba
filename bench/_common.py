"""Helpers shared by the benchmarks: the JSON line format of shared/BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn, TextIO, TypeVar

R = TypeVar("R")


def report(
    bench: str,
    figure: str,
    ours: list[float],
    peer: str | None,
    peer_values: list[float] | None,
    better: str,
    goal: float | None = None,
    out: TextIO | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Print one comparison as a JSON line (medians of the runs) to ``out`` (stdout) and return it.

    ``extra`` adds fields after the standard ones (figures reported beside the headline, notes).
    """
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
    line.update(extra or {})
    print(json.dumps(line), file=out or sys.stdout, flush=True)
    return line


def json_only_stdout() -> TextIO:
    """A stream on the real stdout for the JSON lines; file descriptor 1 then points to stderr.

    ezkl (Rust) prints reports straight to file descriptor 1, which would mix with the JSON lines.
    """
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    return out


def turns(names: Sequence[str], rounds: int) -> Iterator[tuple[int, list[str]]]:
    """Each round's running order: ``names`` rotated one place per round, so no side always goes
    first (two sides: A B, B A, A B ...; three: A B C, B C A, C A B ...)."""
    for r in range(rounds):
        k = r % len(names)
        yield r, [*names[k:], *names[:k]]


def interleave(ours: Callable[[], R], peer: Callable[[], R], runs: int) -> tuple[list[R], list[R]]:
    """What each call returns, ``runs`` times each, the side going first alternating every round.

    For figures a call measures itself (a rate, or a time that leaves out a subprocess's start-up).
    """
    sides = {"ours": ours, "peer": peer}
    out: dict[str, list[R]] = {"ours": [], "peer": []}
    for _, order in turns(list(sides), runs):
        for name in order:
            out[name].append(sides[name]())
    return out["ours"], out["peer"]


def alternate(
    ours: Callable[[], object], peer: Callable[[], object], runs: int
) -> tuple[list[float], list[float]]:
    """Seconds per run of each, alternated A B B A A B ... (no side always goes first) after a warm-up."""
    ours()
    peer()

    def timed(fn: Callable[[], object]) -> Callable[[], float]:
        def run() -> float:
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

        return run

    return interleave(timed(ours), timed(peer), runs)


def fail(bench: str, reason: str) -> NoReturn:
    """Stop the benchmark with a non-zero exit and the reason (a peer that cannot run is loud)."""
    print(f"{bench}: {reason}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def log(message: str) -> None:
    """Progress to standard error (standard output carries only JSON lines)."""
    print(message, file=sys.stderr, flush=True)
