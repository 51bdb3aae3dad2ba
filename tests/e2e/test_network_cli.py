"""``aiweb3 network`` through the CLI on its own local node: the demo with Flower as real
SuperLink/SuperNode processes, epochs on chain and DatasetPool contributors paid for the records
their rounds used, then status and epochs; bad input in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiweb3.cli.main import app

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("aiweb3-network-cli")
    try:
        yield path
    finally:
        subprocess.run([*AIWEB3, "node", "stop"], env=_env(path), capture_output=True, timeout=60)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    return {**env, "AIWEB3_HOME": str(home)}


def run(home: Path, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=_env(home))
    if result.exit_code != 0:
        raise AssertionError(f"aiweb3 {' '.join(args)} failed: {result.output}") from result.exception
    return result.output


def fails(home: Path, *args: str) -> str:
    proc = subprocess.run([*AIWEB3, *args], env=_env(home), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr  # one line (a fresh home may also say it starts its node)
    return errors[0]


def test_network_demo_on_real_flower_processes(home: Path, tmp_path: Path) -> None:
    out = run(
        home, "network", "demo", "--miners", "4", "--byzantine", "1", "--validators", "3",
        "--rounds", "2", "--workdir", str(tmp_path), "--no-register", "--json",
    )  # fmt: skip
    report = json.loads(out[out.index("{") :])
    assert report["result"] is None  # registration and proofs: tests/integration/test_network_training.py
    assert report["behaviours"] == ["honest", "honest", "honest", "label_flip"]
    assert len(report["epochs"]) == 2 and len(report["accuracy"]) == 2
    assert report["byzantine_share"] == 0.0 and report["miner_earned"][3] == 0
    assert all(e > 0 for e in report["miner_earned"][:3])
    assert report["accuracy"][-1] > 0.85
    # data contributors: paid exactly when their accepted record sat in a miner's shard that earned
    data = report["data_rewards"]
    assert len(data) == 8 and data[-1]["earned"] == 0 and data[-1]["why"] == "not accepted by the curator"
    for d in data[:-1]:
        used = d["miner"] is not None and report["miner_earned"][d["miner"]] > 0
        assert (d["earned"] > 0) == used, d
        assert d["epochs_used"] == (2 if used else 0), d
    assert any(d["earned"] > 0 for d in data)
    paid = sum(d["earned"] for d in data)
    assert 2 * 100 * 10**6 - 10 <= paid <= 2 * 100 * 10**6  # each round's data reward, less rounding
    # the rounds really went through a SuperLink and one SuperNode per miner
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert logs == ["flwr-run.log", "superlink.log", *(f"supernode-{j}.log" for j in range(4))]
    assert "Successfully started run" in (tmp_path / "logs" / "flwr-run.log").read_text()

    status = json.loads(run(home, "network", "status", "--json"))
    assert status["subnet"] == report["subnet"] and len(status["miners"]) == 4
    epochs = json.loads(run(home, "network", "epochs", "--json"))
    assert [e["epoch"] for e in epochs] == [2, 3]
    assert epochs[-1]["incentive"] == report["epochs"][-1]["incentive"]


def test_network_bad_input_is_one_line(home: Path, tmp_path: Path) -> None:
    assert "role must be miner or validator" in fails(home, "network", "join", "captain")
    assert "unknown strategy 'mean'" in fails(home, "network", "demo", "--strategy", "mean", "--inprocess")
    other = tmp_path / "fresh-home"
    other.mkdir()
    try:
        assert "no subnet on this chain yet" in fails(other, "network", "status")
    finally:
        subprocess.run([*AIWEB3, "node", "stop"], env=_env(other), capture_output=True, timeout=60)
