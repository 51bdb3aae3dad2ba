"""The real `aiweb3` command: node, deploy, accounts, up, and one-line errors for bad input."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    subprocess.run([*AIWEB3, "node", "stop"], env=_env(tmp_path), capture_output=True, timeout=60)


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "AIWEB3_PASSWORD": "s3cret-pass", "COLUMNS": "200"})
    env.update(extra)
    return env


def run(home: Path, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*AIWEB3, *args], env=_env(home, **env), capture_output=True, text=True, timeout=120
    )
    if ok:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    else:
        assert proc.returncode != 0, proc.stdout
        assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    return proc


def test_node_deploy_and_accounts(home: Path) -> None:
    assert "node started" in run(home, "node", "start").stdout
    assert "already running" in run(home, "node", "start").stdout
    assert "running at http://127.0.0.1:" in run(home, "node", "status").stdout
    first = run(home, "deploy")
    assert "AIUSD: deployed" in first.stderr
    assert "AIUSD: reused" in run(home, "deploy").stderr

    created = run(home, "account", "new", "alice").stdout
    address = created.split(": ")[1].split()[0]
    assert address in run(home, "account", "list").stdout
    assert "funded" in run(home, "account", "fund", "alice", "--amount", "12.5").stdout
    balance = run(home, "account", "balance", "alice").stdout
    assert "AIUSD  12.5" in balance and "ETH    10" in balance
    assert "password" not in (home / "keystore" / "alice.json").read_text()

    wrong = run(home, "deploy", "--account", "alice", ok=False, AIWEB3_PASSWORD="nope")
    assert "wrong password for account 'alice'" in wrong.stderr and "nope" not in wrong.stderr
    unknown = run(home, "account", "balance", "bob", ok=False)
    assert "no account 'bob'" in unknown.stderr
    bad = run(home, "account", "balance", "0x70997970C51812dc3A010C7d01b50e0d17dc79c8", ok=False)
    assert "wrong checksum" in bad.stderr
    amount = run(home, "account", "fund", "alice", "--amount", "1.0000001", ok=False)
    assert "at most 6 decimals" in amount.stderr

    assert "state saved" in run(home, "node", "stop").stdout
    assert run(home, "node", "status", ok=False).returncode == 3
    # the state survived the stop: the deployment is still verified and reused
    assert "AIUSD: reused" in run(home, "deploy").stderr
    assert "AIUSD  12.5" in run(home, "account", "balance", "alice").stdout


def test_remote_endpoint_errors(home: Path) -> None:
    down = run(home, "--rpc-url", "http://127.0.0.1:9", "account", "balance", "dev:1", ok=False)
    assert "no JSON-RPC answer from http://127.0.0.1:9" in down.stderr
    run(home, "node", "start")
    wrong = run(home, "--chain-id", "1", "account", "balance", "dev:1", ok=False)
    assert "serves chain id 31337, but chain id 1 was expected" in wrong.stderr


def test_reset_asks_before_erasing(home: Path) -> None:
    run(home, "node", "start")
    run(home, "deploy")
    proc = subprocess.run(
        [*AIWEB3, "node", "reset"], env=_env(home), input="n\n", capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1 and "nothing changed" in proc.stdout
    assert "erased" in run(home, "node", "reset", "--yes").stdout
    assert "AIUSD: deployed" in run(home, "deploy").stderr


def test_up_runs_until_interrupted(home: Path) -> None:
    with socket.socket() as probe:  # a free port: never the default 8480 a real `aiweb3 up` may hold
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    proc = subprocess.Popen(
        [*AIWEB3, "up", "--no-llm", "--port", port, "--no-demo"],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "aiweb3 is up" in line:
                break
        assert any("AIUSD" in line for line in lines), lines
        tips = lines[lines.index("next, try:\n") + 1 : -1]  # three lines, then "aiweb3 is up"
        assert len(tips) == 3 and tips[0].startswith(f"  open http://127.0.0.1:{port} "), lines
        assert tips[1].startswith("  aiweb3 model list --onchain")
        assert tips[2].startswith("  aiweb3 agents demo")
        assert "running at" in run(home, "node", "status").stdout
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "node stopped" in out
    assert run(home, "node", "status", ok=False).returncode == 3
