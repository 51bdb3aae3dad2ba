"""What a newcomer types by mistake gets one line naming the problem, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiweb3.chain import Chain, Deployment
from aiweb3.server import ServerConfig, ServerHandle, Services, serve

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "250"})
    proc = subprocess.run([*AIWEB3, *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc


@pytest.fixture(scope="module")
def dashboard(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[str]:
    """The real service (API and dashboard) on a free port."""
    handle: ServerHandle = serve(Services.open(ServerConfig(home=module_home, port=0), chain))
    try:
        yield handle.url
    finally:
        handle.stop()


def test_the_dashboard_url_as_rpc_url_is_named(dashboard: str, tmp_path: Path) -> None:
    for url in (dashboard, f"{dashboard}/api/health"):
        proc = run(tmp_path, "--rpc-url", url, "account", "balance", "dev:1")
        expected = f"error: {url} is not a JSON-RPC endpoint (it answered HTTP "
        assert proc.stderr.startswith(expected), proc.stderr
        assert "pass the node's URL to --rpc-url" in proc.stderr


def test_a_file_that_is_not_json_is_not_a_proof(tmp_path: Path) -> None:
    text = tmp_path / "talk.wav"
    text.write_text("not audio, not JSON\n")
    binary = tmp_path / "talk2.wav"
    binary.write_bytes(bytes(range(256)) * 4)  # invalid UTF-8: was a UnicodeDecodeError traceback
    for path in (text, binary):
        proc = run(tmp_path, "model", "verify", str(path))
        assert proc.stderr.strip() == (
            f"error: {path} is not a proof file (not JSON); pass one written by `aiweb3 model prove`"
        )


def test_a_binary_file_as_samples_or_input_is_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "talk.wav"
    for data in (bytes(range(256)) * 4, b"\xff\xfe\xfd not utf-8"):
        binary.write_bytes(data)
        proc = run(tmp_path, "model", "compile", str(binary), "--samples", str(binary))
        assert proc.stderr.startswith(f"error: the samples file {binary} is not valid JSON: "), proc.stderr
