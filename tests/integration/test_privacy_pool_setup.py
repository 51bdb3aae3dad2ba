"""`aiweb3 privacy setup --ptau`: a ceremony file too small for the circuit is refused with one
line after the circuit compiled (circom runs inside the setup's work directory, wherever the
caller stands), and nothing is left in the target directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from aiweb3.errors import ProofError
from aiweb3.privacy import run_setup
from aiweb3.tools import node_modules


@pytest.mark.slow
def test_setup_refuses_powers_of_tau_too_small_for_the_circuit(tmp_path: Path) -> None:
    cli = str(node_modules() / "snarkjs" / "build" / "cli.cjs")
    ptau = tmp_path / "small.ptau"
    for args in (
        ["powersoftau", "new", "bn128", "8", str(tmp_path / "p0.ptau")],
        ["powersoftau", "prepare", "phase2", str(tmp_path / "p0.ptau"), str(ptau)],
    ):
        subprocess.run(["node", cli, *args], check=True, capture_output=True)
    out = tmp_path / "home" / "privacy" / "zk"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        with pytest.raises(ProofError, match="do not fit this circuit"):
            run_setup(out, ptau=ptau, compile_verifier=True)
    finally:
        os.chdir(cwd)
    leftovers = list(out.parent.glob("zk*")) if out.parent.exists() else []
    assert not leftovers
