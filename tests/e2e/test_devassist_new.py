"""``aiweb3 dev new contract``: the files appear only after they compiled and their tests passed,
and the tests it wrote pass again when run by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


def test_new_contract_writes_a_compiled_and_tested_escrow(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIWEB3_", "PYTEST_"))}
    env.update({"AIWEB3_HOME": str(tmp_path / "home"), "COLUMNS": "250"})
    out = tmp_path / "ShopEscrow"
    description = "an escrow that pays a seller when the buyer confirms delivery"
    proc = subprocess.run(
        [*AIWEB3, "dev", "new", "contract", "ShopEscrow", "--from", description, "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ShopEscrow (escrow, chosen by keywords): compiles, its tests pass" in proc.stdout
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "contracts/ShopEscrow.sol",
        "examples/use_shop_escrow.py",
        "tests/test_shop_escrow.py",
    ]
    example = subprocess.run(
        [sys.executable, "examples/use_shop_escrow.py"],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert example.returncode == 0, example.stderr
    assert example.stdout.strip() == "seller balance: 5.0 AIUSD"
    again = subprocess.run(
        [*AIWEB3, "dev", "new", "contract", "ShopEscrow", "--from", description, "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 1 and "exists and is not empty" in again.stderr


def test_new_contract_reads_a_familys_parameters_from_the_request(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIWEB3_", "PYTEST_"))}
    env.update({"AIWEB3_HOME": str(tmp_path / "home"), "COLUMNS": "250"})
    out = tmp_path / "Safe"
    description = "a 3-of-4 multisig treasury: payments need approvals from three owners"
    proc = subprocess.run(
        [*AIWEB3, "dev", "new", "contract", "Safe", "--from", description, "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Safe (multisig, chosen by keywords): compiles, its tests pass" in proc.stdout
    assert "parameters: threshold=3, owners=4" in proc.stdout
    assert "uint256 public constant THRESHOLD = 3;" in (out / "contracts" / "Safe.sol").read_text()
    example = subprocess.run(
        [sys.executable, "examples/use_safe.py"],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert example.returncode == 0, example.stderr
    assert example.stdout.strip() == "payee received 20.0 AIUSD"
    poem = [
        *AIWEB3,
        "dev",
        "new",
        "contract",
        "Poem",
        "--from",
        "a poem about the sea",
        "--out",
        str(tmp_path / "P"),
    ]
    proc = subprocess.run(poem, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "no scaffold fits" in proc.stderr and not (tmp_path / "P").exists()


def test_new_test_writes_a_passing_first_test_and_refuses_one_that_fails(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIWEB3_", "PYTEST_"))}
    env.update({"AIWEB3_HOME": str(tmp_path / "home"), "COLUMNS": "250"})
    (tmp_path / "Counter.sol").write_text(
        "pragma solidity ^0.8.24;\ncontract Counter {\n    uint256 public count;\n    address public token;\n"
        "    constructor(address token_, uint256 start) { token = token_; count = start; }\n"
        "    function bump() external { count += 1; }\n}\n"
    )
    (tmp_path / "Broken.sol").write_text(
        'pragma solidity ^0.8.24;\ncontract Broken {\n    constructor() { revert("never"); }\n}\n'
    )
    proc = subprocess.run(
        [*AIWEB3, "dev", "new", "test", "Counter.sol"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "wrote tests/test_counter.py: deploys Counter; calls 2 views" in proc.stdout
    written = (tmp_path / "tests" / "test_counter.py").read_text()
    assert "chain.call(contract.functions.count())" in written
    proc = subprocess.run(
        [*AIWEB3, "dev", "new", "test", "Broken.sol"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1 and "do not pass" in proc.stderr and "nothing was written" in proc.stderr
    assert not (tmp_path / "tests" / "test_broken.py").exists()
