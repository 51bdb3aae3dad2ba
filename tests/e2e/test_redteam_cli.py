"""``aiweb3 redteam``: exploit a corpus entry end to end through the CLI (confirmed on a private
node, patched twin verified), replay the saved report, refuse a tampered one, find nothing on the
patched twin, and answer bad input with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiweb3.cli.main import app

pytestmark = pytest.mark.timeout(600)
CORPUS = Path(__file__).resolve().parents[1] / "redteam_corpus"
ENTRY = CORPUS / "unprotected-withdraw"
AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    return {**env, "AIWEB3_HOME": str(home)}


def _run(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=_env(home))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def exploited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    home = tmp_path_factory.mktemp("rt-home")
    out = tmp_path_factory.mktemp("rt-run")
    code, output = _run(home, "redteam", "exploit", str(ENTRY), "--no-slither", "--out", str(out))
    assert code == 0, output
    return home, out, output


def test_exploit_confirms_on_chain_and_the_patched_twin_blocks_it(exploited: tuple[Path, Path, str]) -> None:
    _, out, output = exploited
    assert "confirmed" in output and "patch verified" in output
    report = json.loads((out / "report.json").read_text())
    confirmed = [f for f in report["findings"] if f["status"] == "confirmed"]
    assert confirmed
    finding = confirmed[0]
    assert finding["exploit"]["win"]["kind"] == "attacker_profit"
    assert int(finding["exploit"]["win"]["profit_wei"]) > 10**18
    assert finding["patch"]["source"] == "patched twin" and finding["patch"]["verified"]
    assert finding["patch"]["exploit_blocked"] and finding["patch"]["functional"]
    md = (out / "report.md").read_text()
    assert "emergencyWithdraw" in md and "Proof-of-concept transactions" in md
    assert "<h1>" in (out / "report.html").read_text()


def test_replay_reconfirms_and_a_tampered_report_fails(
    exploited: tuple[Path, Path, str], tmp_path: Path
) -> None:
    home, out, _ = exploited
    code, output = _run(home, "redteam", "replay", str(out / "report.json"))
    assert code == 0, output
    assert "confirmed" in output and "NOT" not in output

    report = json.loads((out / "report.json").read_text())
    finding = next(f for f in report["findings"] if f["status"] == "confirmed")
    step = finding["exploit"]["steps"][-1]
    # send the withdrawal to the victim instead of the attacker: the edited tx takes nothing
    step["data"] = step["data"].replace("{attacker}", "{victim}")
    tampered = tmp_path / "report.json"
    tampered.write_text(json.dumps(report))
    code, output = _run(home, "redteam", "replay", str(tampered))
    assert code == 1
    assert "NOT confirmed" in output


def test_the_patched_twin_gives_no_confirmed_exploit(tmp_path: Path) -> None:
    code, output = _run(
        tmp_path,
        "redteam",
        "exploit",
        str(ENTRY),
        "--variant",
        "patched",
        "--no-slither",
        "--search-examples",
        "30",
    )
    assert code == 0, output
    assert "no confirmed exploit" in output


def test_scan_lists_hypotheses_and_bad_input_is_one_line(tmp_path: Path) -> None:
    code, output = _run(tmp_path, "redteam", "scan", str(ENTRY), "--no-slither", "--json")
    assert code == 0, output
    hyps = json.loads(output)["hypotheses"]
    assert any(h["function"] == "emergencyWithdraw" and h["class"] == "access_control" for h in hyps)

    broken = tmp_path / "Broken.sol"
    broken.write_text("pragma solidity ^0.8.20; contract Broken { function f( }")
    cases = [
        (["exploit", str(tmp_path / "missing")], "does not exist"),
        (["scan", str(broken)], "compile"),
        (["replay", str(broken)], "not valid JSON"),
    ]
    for args, says in cases:
        proc = subprocess.run(
            [*AIWEB3, "redteam", *args], env=_env(tmp_path), capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert says in proc.stderr, proc.stderr
