"""The solc stand-in analysers such as Slither run (``--solc``): any pinned version, standard JSON."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from aiweb3.errors import InputError
from aiweb3.redteam.solc import solc_standin

OLD = (
    "pragma solidity ^0.4.24;\ncontract Old { uint256 public x; function set(uint256 v) public { x = v; } }\n"
)


@pytest.mark.parametrize("version", ["0.4.26", "0.6.12"])
def test_the_standin_answers_version_and_standard_json(version: str) -> None:
    path, env = solc_standin(version)
    run_env = {**os.environ, **env}
    banner = subprocess.run([str(path), "--version"], capture_output=True, text=True, env=run_env, check=True)
    assert f"Version: {version}+commit" in banner.stdout
    source = OLD if version.startswith("0.4") else OLD.replace("^0.4.24", "^0.6.0")
    request = {
        "language": "Solidity",
        "sources": {"Old.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }
    out = subprocess.run(
        [str(path), "--standard-json", "--allow-paths", "."],
        input=json.dumps(request), capture_output=True, text=True, env=run_env, check=True,
    )  # fmt: skip
    compiled = json.loads(out.stdout)["contracts"]["Old.sol"]["Old"]
    assert compiled["evm"]["bytecode"]["object"] and any(i.get("name") == "set" for i in compiled["abi"])


def test_an_unpinned_version_is_refused() -> None:
    with pytest.raises(InputError, match="not pinned"):
        solc_standin("0.3.6")
