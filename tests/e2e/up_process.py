"""Start a real `aiweb3 up` for an e2e test and wait until it serves (shared by the test modules)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


def aiweb3_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI run on ``home``: no AIWEB3_* setting leaks in from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "200", **extra})
    return env


def start_up(
    home: Path, *args: str, timeout: float = 180, stderr: int = subprocess.STDOUT
) -> tuple[subprocess.Popen[str], str, list[str]]:
    """Run `aiweb3 up --no-llm ARGS` until it says it is up (stderr merged into stdout unless
    ``stderr`` says otherwise, e.g. DEVNULL for a test that floods the server's log).

    Returns the process, the dashboard URL it printed and the lines so far.
    """
    proc = subprocess.Popen(
        [*AIWEB3, "up", "--no-llm", *args],
        env=aiweb3_env(home),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "aiweb3 is up" in line:
            (url,) = [x.split(" ", 1)[1].strip() for x in lines if x.startswith("dashboard: ")]
            return proc, url, lines
    proc.kill()
    raise AssertionError(f"`aiweb3 up` did not come up: {lines}")
