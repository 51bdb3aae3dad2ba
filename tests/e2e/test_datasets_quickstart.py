"""The quick start of docs/datasets.md, run as written: it must end with accepted, paid records."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "datasets.md"
BIN = Path(sys.executable).parent


def quick_start() -> str:
    """The first bash block under the quick start heading."""
    section = DOC.read_text().split("## Quick start (local chain)", 1)[1]
    return section.split("```bash\n", 1)[1].split("```", 1)[0]


def test_the_documented_quick_start_accepts_records_and_pays_the_payee(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(tmp_path / "home"), "PATH": f"{BIN}:{env['PATH']}", "COLUMNS": "250"})
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", quick_start()],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    finally:
        subprocess.run([BIN / "aiweb3", "node", "stop"], env=env, capture_output=True, timeout=60)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Traceback" not in done.stderr
    assert "born 1970s, postcode area SW" in out  # record example names the row's class
    assert "accepted 3, rejected 0, waiting for k 0" in out
    assert "3 presentations verified, k-anonymity 3 (min 3)" in out
    assert re.search(r"^3 rows, k-anonymity 3; table ", out, re.M), out
    assert (tmp_path / "table.csv").read_text().count("\n") == 4  # header and three rows
    assert re.search(r"AIUSD\s+5\n", out), out  # dev:3, the first payee, was paid the reward
    assert "withdrew 485 AIUSD from dataset 1" in out
