"""`aiweb3 defi protect` through the CLI: the simulation in process (CliRunner), bad input through
the real entry point (one line on stderr, exit code 1). The demos' code runs in
tests/integration/test_defi_twap.py and test_defi_credit.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiweb3.cli.main import app
from aiweb3.errors import DeploymentError

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("aiweb3-defi-credit-cli")
    try:
        yield path
    finally:
        subprocess.run([*AIWEB3, "node", "stop"], env=_env(path), capture_output=True, timeout=60)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    return {**env, "AIWEB3_HOME": str(home), "COLUMNS": "200"}


def run(home: Path, *args: str, ok: bool = True) -> str:
    if ok:
        result = CliRunner().invoke(app, list(args), env=_env(home))
        if result.exit_code != 0:
            raise AssertionError(f"aiweb3 {' '.join(args)} failed: {result.output}") from result.exception
        return result.output
    proc = subprocess.run([*AIWEB3, *args], env=_env(home), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


def test_protect_simulate_compares_the_policies(home: Path) -> None:
    out = run(home, "defi", "protect", "simulate", "--paths", "30")
    assert "risk model (proven on chain)" in out and "fixed rule (1.25 -> 1.5)" in out
    none_row = next(
        line for line in out.splitlines() if line.strip().startswith("│ none") or " none " in line
    )
    assert "/30" in none_row


def test_protect_demo_needs_a_pool(home: Path) -> None:
    # the demo itself runs in tests/integration/test_defi_twap.py (same code, no CLI)
    result = CliRunner().invoke(app, ["defi", "protect", "demo"], env=_env(home))
    assert isinstance(result.exception, DeploymentError)
    assert "aiweb3 defi up" in str(result.exception)


def test_bad_crash_is_one_line(home: Path) -> None:
    err = run(home, "defi", "protect", "demo", "--crash", "2", ok=False)
    assert "--crash must be a fraction" in err and len(err.strip().splitlines()) == 1
