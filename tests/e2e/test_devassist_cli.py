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


def run(home: Path, *args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "250"})
    if cache is not None:
        env["AIWEB3_DEV_CACHE"] = str(cache)
    return subprocess.run([*AIWEB3, *args], env=env, capture_output=True, text=True, timeout=180)


PIGGY_README = """# Piggy

## Withdrawals

Funds can be taken out of the vault once the unlock time has passed.

## Fees

Every transfer pays a fee of 0.3% to the treasury.

## Governance

Holders vote on proposals; a proposal passes with a majority of votes.
"""


def test_dev_ask_answers_a_question_in_other_words_through_the_embeddings(tmp_path: Path) -> None:
    project, cache = tmp_path / "piggy", tmp_path / "cache"
    project.mkdir()
    (project / "README.md").write_text(PIGGY_README)
    question = "how is voting on ideas decided?"  # no word in common with the README
    proc = run(tmp_path, "dev", "ask", question, "--path", str(project), "--retrieval", "bm25", cache=cache)
    assert proc.returncode == 1 and proc.stdout.startswith("not found"), proc.stdout
    assert [p.name for p in cache.iterdir()] == ["passages-v1.json"]  # BM25 alone never loads the model
    proc = run(tmp_path, "dev", "ask", question, "--path", str(project), "--json", cache=cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["sources"][0]["cite"] == "README.md:11-13"
    assert answer["claims"] == [
        {
            "text": "Holders vote on proposals; a proposal passes with a majority of votes.",
            "cite": "README.md:13",
        }
    ]
    assert "embedding new passages: 4/4" in proc.stderr
    assert sorted(p.name for p in cache.iterdir()) == ["all-MiniLM-L6-v2-onnx-int8.npz", "passages-v1.json"]
    again = run(tmp_path, "dev", "ask", question, "--path", str(project), "--json", cache=cache)
    assert again.returncode == 0 and json.loads(again.stdout) == answer
    assert "embedding new passages" not in again.stderr  # every vector came from the cache
    proc = run(tmp_path, "dev", "ask", question, "--path", str(project), "--retrieval", "dense", cache=cache)
    assert proc.returncode == 1 and "--retrieval must be one of hybrid, bm25, embeddings" in proc.stderr


def test_dev_ask_answers_with_citations_and_says_not_found(tmp_path: Path) -> None:
    # BM25 only over aiweb3's own sources (a cold embedding cache would embed them all first)
    proc = run(
        tmp_path,
        "dev",
        "ask",
        "how do I verify a proof on chain from Python?",
        "--json",
        "--retrieval",
        "bm25",
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["found"] and answer["engine"] == "extractive"
    assert all(":" in c["cite"] for c in answer["claims"])
    question = json.loads(UNANSWERABLE.read_text())[0]
    proc = run(tmp_path, "dev", "ask", question, "--retrieval", "bm25")
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
