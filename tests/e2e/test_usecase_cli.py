"""`aiweb3 usecase credit|identity` and `aiweb3 model audit` through the real entry point, node and prover."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

AIWEB3 = str(Path(sys.executable).parent / "aiweb3")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    run_env = {**os.environ, "AIWEB3_HOME": str(tmp_path_factory.mktemp("usecase-home")), "COLUMNS": "250"}
    run_env.pop("AIWEB3_RPC_URL", None)
    try:
        yield run_env
    finally:
        subprocess.run([AIWEB3, "node", "stop"], env=run_env, capture_output=True, timeout=60)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIWEB3, *args], env=env, capture_output=True, text=True, timeout=600)


def test_credit_use_case_and_audit(env: dict[str, str]) -> None:
    done = _run(env, "usecase", "credit")
    assert done.returncode == 0, done.stderr
    model_id = re.search(r"model (0x[0-9a-f]{64})", done.stdout)
    assert model_id is not None
    assert "every decision above verified against the one registered model" in done.stdout
    assert ": yes (3 verified inferences" in done.stdout
    assert "held-out accuracy (2500 records)" in done.stdout
    audit = _run(env, "model", "audit", model_id.group(1), "--json")
    assert audit.returncode == 0, audit.stderr
    rows = [json.loads(line) for line in audit.stdout.splitlines()]
    assert len(rows) == 3 and len({r["caller"] for r in rows}) == 3
    assert len({r["input_commitment"] for r in rows}) == 3
    assert all(r["model_id"] == model_id.group(1) for r in rows)
    # running again reuses the registered model: the same key scores the next applicants
    again = _run(env, "usecase", "credit", "--record", "3")
    assert again.returncode == 0, again.stderr
    assert "already registered" in again.stdout and ": yes (6 verified inferences" in again.stdout


def test_identity_use_case(env: dict[str, str]) -> None:
    done = _run(env, "usecase", "identity", "--record", "2")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    model_id = re.search(r"model (0x[0-9a-f]{64}) \(identity-salted, logrows \d+\) registered now", out)
    assert model_id is not None
    codes = re.findall(
        r"held-out person (\d+), capture (\d+), account (0x[0-9a-fA-F]{40}): code (0x[0-9a-f]{8})", out
    )
    assert [(p, c) for p, c, _, _ in codes] == [("2", "6"), ("2", "7"), ("3", "9")]
    distances = [int(d) for d in re.findall(r"Hamming distance to the enrolled code: (\d+) of 32 bits", out)]
    assert len(distances) == 2 and distances[0] <= 8 < distances[1]
    assert "(match at threshold 8)" in out and "(no match at threshold 8)" in out
    assert "a wrong salt refused: yes" in out
    assert "uniqueness check over 3 codes on chain (threshold 8 bits): 1 match(es)" in out
    assert f"{codes[1][2]} (tx " in out and "a duplicate enrolment" in out
    # the audit table shows each code as read back from the transaction's calldata
    for _, _, _, code in codes:
        assert f"│ {code}" in out
    audit = _run(env, "model", "audit", model_id.group(1), "--json")
    assert audit.returncode == 0, audit.stderr
    rows = [json.loads(line) for line in audit.stdout.splitlines()]
    assert [r["caller"] for r in rows] == [c[2] for c in codes]
    bad = _run(env, "usecase", "identity", "--record", "63")
    assert bad.returncode == 1 and "among the held-out people 0..63" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_unknown_use_case_is_one_line(env: dict[str, str]) -> None:
    done = _run(env, "usecase", "astrology")
    assert done.returncode == 1 and "unknown use case 'astrology'" in done.stderr
    assert "Traceback" not in done.stderr


def test_split_use_case(env: dict[str, str]) -> None:
    done = _run(env, "usecase", "split", "--record", "1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "held-out record 1, truth: malignant): malignant" in out
    assert "held-out accuracy of the chained pipeline (143 records)" in out
    assert "sent to the operator: the preprocessing proof and 4 features" in out
    out_c = re.search(r"output commitment (0x[0-9a-f]{64})", out)
    in_c = re.search(r"input commitment\s+(0x[0-9a-f]{64})", out)
    assert out_c is not None and in_c is not None and out_c.group(1) == in_c.group(1)
    op = re.search(r"operator's model (0x[0-9a-f]{64})", out)
    verifier = re.search(r"SplitVerifier (0x[0-9a-fA-F]{40}), tx (0x[0-9a-f]{64}), gas (\d+)", out)
    assert op is not None and verifier is not None and int(verifier.group(3)) > 0
    # the chain's record: the operator's model was verified once, called by the SplitVerifier,
    # on the linked commitment
    audit = _run(env, "model", "audit", op.group(1), "--json")
    assert audit.returncode == 0, audit.stderr
    rows = [json.loads(line) for line in audit.stdout.splitlines()]
    assert [(r["caller"].lower(), r["input_commitment"]) for r in rows] == [
        (verifier.group(1).lower(), in_c.group(1))
    ]
    assert [r["tx_hash"] for r in rows] == [verifier.group(2)]
    again = _run(env, "usecase", "split", "--record", "0")
    assert again.returncode == 0, again.stderr
    assert "both already registered" in again.stdout and "truth: benign): benign" in again.stdout
    bad = _run(env, "usecase", "split", "--record", "999")
    assert bad.returncode == 1 and "not a held-out record" in bad.stderr and "Traceback" not in bad.stderr
