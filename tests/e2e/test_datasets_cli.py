"""The dataset flow through the CLI against its own local node: the happy path through Typer's
CliRunner on ``aiweb3.cli.main.app`` (in process, fast), the failures through the real ``aiweb3``
entry point (one line on stderr, exit code 1, no traceback)."""

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
    path = tmp_path_factory.mktemp("aiweb3-dataset-cli")
    try:
        yield path
    finally:
        subprocess.run([*AIWEB3, "node", "stop"], env=_env(path), capture_output=True, timeout=60)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    return {**env, "AIWEB3_HOME": str(home)}


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


def test_dataset_cli_end_to_end(home: Path, tmp_path: Path) -> None:
    run(home, "deploy")
    run(home, "account", "fund", "dev:0", "--amount", "100")
    run(home, "dataset", "issuer", "add", "https://hospital.example")
    policy = {
        "schema": "medical-record/v1",
        "disclose": ["birth_decade", "tests.*", "diagnoses.*"],
        "quasi": ["birth_decade"],
        "min_k": 1,
    }
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    out = run(
        home,
        "dataset",
        "create",
        "--policy",
        str(tmp_path / "policy.json"),
        "--reward",
        "5",
        "--budget",
        "10",
        "--curator",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    )
    assert "dataset 1 created" in out
    for i in (0, 1, 2, 3):
        run(home, "dataset", "record", "example", str(i), "--out", str(tmp_path / f"r{i}.json"))
        run(
            home,
            "dataset",
            "record",
            "issue",
            str(tmp_path / f"r{i}.json"),
            "--issuer",
            "https://hospital.example",
            "--out",
            str(tmp_path / f"held{i}.json"),
            "--copies",
            "2",
        )
        assert oct((tmp_path / f"held{i}.json").stat().st_mode & 0o777) == "0o600"
    run(home, "dataset", "record", "contribute", str(tmp_path / "held0.json"), "-d", "1", "-a", "dev:3")
    run(home, "dataset", "record", "contribute", str(tmp_path / "held1.json"), "-d", "1", "-a", "dev:4")
    # the same record again: same nullifier, refused on chain
    err = run(
        home,
        "dataset",
        "record",
        "contribute",
        str(tmp_path / "held0.json"),
        "-d",
        "1",
        "-a",
        "dev:5",
        ok=False,
    )
    assert "NullifierAlreadyUsed" in err
    # budget (10) covers two rewards of 5: a third record may wait, but only two are paid
    run(home, "dataset", "record", "contribute", str(tmp_path / "held2.json"), "-d", "1", "-a", "dev:5")
    out = run(home, "dataset", "review", "1", "-a", "dev:1")
    assert "accepted 2" in out and "waiting for budget 1" in out
    # the budget is spent: no more contributions
    err = run(home, "dataset", "record", "contribute", str(tmp_path / "held3.json"), "-d", "1", "-a", "dev:6",
              ok=False)  # fmt: skip
    assert "BudgetExhausted" in err
    assert "2 presentations verified" in run(home, "dataset", "verify", "1")
    out = run(home, "dataset", "export", "1", "--out", str(tmp_path / "table.csv"))
    assert "dataset content id" in out
    header = (tmp_path / "table.csv").read_text().splitlines()[0].split(",")
    assert "birth_decade" in header and "tests_mean_radius" in header and "diagnoses" in header
    assert not {"name", "national_id", "address", "postcode", "birth_year"} & set(header)
    assert "medical-record/v1" in run(home, "dataset", "list")
    shown = run(home, "dataset", "show", "1")
    assert "accepted" in shown and "0 AIUSD" in shown  # budget fully paid out
    # a policy asking for an identifying field is refused before anything is sent
    bad = {**policy, "disclose": ["name", "tests.*"]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    err = run(
        home,
        "dataset",
        "create",
        "--policy",
        str(tmp_path / "bad.json"),
        "--reward",
        "1",
        "--budget",
        "1",
        ok=False,
    )
    assert "identifying" in err
    # a malformed SD-JWT in the holder file is rejected with a reason, not a traceback
    held = json.loads((tmp_path / "held2.json").read_text())
    held["copies"][0]["sd_jwt"] = "not-an-sd-jwt"
    held["copies"][1]["sd_jwt"] = "not-an-sd-jwt"
    (tmp_path / "held2.json").write_text(json.dumps(held))
    run(home, "dataset", "close", "1")
    err = run(
        home,
        "dataset",
        "record",
        "present",
        str(tmp_path / "held2.json"),
        "-d",
        "1",
        "--payee",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "--out",
        str(tmp_path / "p"),
        ok=False,
    )
    assert "malformed SD-JWT" in err
    assert "no dataset 7" in run(home, "dataset", "show", "7", ok=False)
