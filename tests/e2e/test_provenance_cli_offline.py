"""``aiweb3 content verify --offline``: no chain, the signing domain pinned on the command line."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiweb3.chain import dev_account
from aiweb3.cli.main import app
from aiweb3.provenance import registry_domain, sign_file

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.fixture
def signed(tmp_path: Path) -> Path:
    path = tmp_path / "note.bin"
    path.write_bytes(random.Random(5).randbytes(4000))
    sign_file(path, dev_account(1), registry_domain(31337, REGISTRY))
    return path


def test_offline_verify_pins_the_domain(signed: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"AIWEB3_HOME": str(tmp_path / "home"), "COLUMNS": "300"}
    ok = runner.invoke(app, ["content", "verify", "--offline", "--chain-id", "31337", "--registry", REGISTRY,
                             str(signed)], env=env)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "authentic: note.bin" in ok.output and "handle not checked" in ok.output
    wrong = runner.invoke(app, ["content", "verify", "--offline", "--chain-id", "1", "--registry", REGISTRY,
                                str(signed)], env=env)  # fmt: skip
    assert wrong.exit_code == 1
    assert "signed for chain 31337, but this verifier trusts chain 1" in wrong.output
