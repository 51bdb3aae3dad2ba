"""The last backtest of each kind, kept under the home for the dashboard and later reading.

``aiweb3 defi backtest`` (kind ``lp``) and ``aiweb3 defi structured backtest`` (kind
``structured``) save their per-strategy medians, every run and the PNG plot to
``<home>/defi/backtests/<kind>.json`` and ``<kind>.png`` (written to a temporary file, then
renamed); :func:`load_backtest_reports` reads them back.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aiweb3.errors import InputError

__all__ = ["REPORT_KINDS", "load_backtest_reports", "report_png", "save_backtest_report"]

REPORT_KINDS = ("lp", "structured")


def _dir(home: Path | str) -> Path:
    return Path(home) / "defi" / "backtests"


def report_png(home: Path | str, kind: str) -> Path | None:
    """The saved plot of the last ``kind`` backtest, or None."""
    if kind not in REPORT_KINDS:
        return None
    path = _dir(home) / f"{kind}.png"
    return path if path.is_file() else None


def save_backtest_report(
    home: Path | str,
    kind: str,
    summary: Mapping[str, Mapping[str, float]],
    runs: Sequence[Mapping[str, Any]],
    *,
    seeds: Sequence[int],
    png: Path | None = None,
) -> Path:
    """Keep a backtest's medians, runs and plot as the last of its kind; returns the JSON path."""
    if kind not in REPORT_KINDS:
        raise InputError(f"unknown backtest kind {kind!r}; use one of {', '.join(REPORT_KINDS)}")
    folder = _dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    if png is not None:
        tmp_png = folder / f".{kind}.png.tmp"
        shutil.copyfile(png, tmp_png)
        tmp_png.replace(folder / f"{kind}.png")
    data = {
        "kind": kind,
        "created": int(time.time()),
        "seeds": list(seeds),
        "summary": {k: dict(v) for k, v in summary.items()},
        "runs": [dict(r) for r in runs],
        "plot": png is not None,
    }
    path = folder / f"{kind}.json"
    tmp = folder / f".{kind}.json.tmp"
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)
    return path


def load_backtest_reports(home: Path | str) -> dict[str, dict[str, Any]]:
    """The saved reports by kind (only those present and readable)."""
    out: dict[str, dict[str, Any]] = {}
    for kind in REPORT_KINDS:
        path = _dir(home) / f"{kind}.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("summary"), dict):
            data["plot"] = bool(data.get("plot")) and report_png(home, kind) is not None
            out[kind] = data
    return out
