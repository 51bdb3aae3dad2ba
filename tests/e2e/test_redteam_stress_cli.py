"""`aiweb3 redteam stress` through the CLI: a tiny run on its own throwaway node writes the JSON and
Markdown reports and prints the recommendations; bad input is one line on stderr (exit code 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from aiweb3.cli.main import app

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    return {**env, "AIWEB3_HOME": str(home), "COLUMNS": "200"}


def test_stress_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    args = ["redteam", "stress", "--paths", "1", "--steps", "4", "--grid", "cf=0.8;window=12,1800"]
    result = CliRunner().invoke(app, [*args, "--seed", "2", "--out", str(out)], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "recommend window = 1800" in result.output and "cf0.80-b0.05-w12" in result.output
    data = json.loads((out / "stress.json").read_text())
    assert data["grid"] == ["cf0.80-b0.05-w12", "cf0.80-b0.05-w1800"]
    assert data["config"]["seed"] == 2 and len(data["paths"]["cf0.80-b0.05-w12"]) == 1
    assert "## Recommendations" in (out / "stress.md").read_text()


def test_bad_grid_is_one_line(tmp_path: Path) -> None:
    for bad in (["--grid", "lev=3"], ["--grid", "cf=0.9;bonus=0.3"], ["--step-seconds", "12"]):
        proc = subprocess.run(
            [*AIWEB3, "redteam", "stress", *bad],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "redteam").exists()
