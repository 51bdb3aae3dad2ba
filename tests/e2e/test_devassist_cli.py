"""``aiweb3 dev ask`` and ``aiweb3 dev explain`` as a newcomer runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]
# in JSON, which the assistant does not read (words written in this file would be found)
UNANSWERABLE = Path(__file__).parents[1] / "unit" / "data" / "devassist_unanswerable.json"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "250"})
    return subprocess.run([*AIWEB3, *args], env=env, capture_output=True, text=True, timeout=180)


def test_dev_ask_answers_with_citations_and_says_not_found(tmp_path: Path) -> None:
    proc = run(tmp_path, "dev", "ask", "how do I verify a proof on chain from Python?", "--json")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["found"] and answer["engine"] == "extractive"
    assert all(":" in c["cite"] for c in answer["claims"])
    question = json.loads(UNANSWERABLE.read_text())[0]
    proc = run(tmp_path, "dev", "ask", question)
    assert proc.returncode == 1, proc.stdout
    assert proc.stdout.startswith("not found in the sources (nothing about: ")
    assert "nearest sources:" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_dev_explain_prints_cited_facts_and_one_line_errors(tmp_path: Path) -> None:
    proc = run(tmp_path, "dev", "explain", "contracts/src/TaskEscrow.sol:post")
    assert proc.returncode == 0, proc.stderr
    assert "emits TaskPosted  [contracts/src/TaskEscrow.sol:" in proc.stdout
    proc = run(tmp_path, "dev", "explain", "contracts/src/TaskEscrow.sol:nope")
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "no function 'nope'" in proc.stderr
    proc = run(tmp_path, "dev", "ask", "anything", "--path", str(tmp_path / "missing"))
    assert proc.returncode == 1 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
