"""Compile Solidity with the pinned solc-js (the compiler ``make artifacts`` uses)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiweb3.errors import ConfigError, ContractError
from aiweb3.tools import node_modules

__all__ = ["CompileFailed", "Compiled", "compile_solidity"]

_SCRIPT = Path(__file__).with_name("compile.mjs")
_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
}


class CompileFailed(ContractError):
    """solc rejected the sources; ``errors`` holds its messages."""

    def __init__(self, errors: list[str]) -> None:
        first = errors[0].strip().splitlines()[0] if errors else "no output"
        super().__init__(f"the Solidity does not compile: {first}")
        self.errors = errors


@dataclass(frozen=True)
class Compiled:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    compiler: str


def compile_solidity(sources: dict[str, str], *, timeout: float = 120.0) -> dict[str, Compiled]:
    """Compile ``sources`` (file name -> text); every deployable contract by name.

    Imports resolve from the project's ``node_modules`` (``@openzeppelin/contracts/...``).

    Raises:
        CompileFailed: solc reported errors (all of them in ``errors``).
        ConfigError: node or solc-js is missing (run ``make setup``).
    """
    node = shutil.which("node")
    if node is None:
        raise ConfigError("node is not installed: install Node 20 and run `make setup`")
    request = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": _SETTINGS,
    }
    try:
        proc = subprocess.run(
            [node, str(_SCRIPT), str(node_modules())],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CompileFailed([f"solc-js took longer than {timeout:.0f} s"]) from None
    if proc.returncode != 0:
        raise ConfigError(f"solc-js could not run ({proc.stderr.strip()[:200]}); run `make setup`")
    output = json.loads(proc.stdout)
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileFailed(errors)
    out: dict[str, Compiled] = {}
    for source, contracts in output.get("contracts", {}).items():
        if source not in sources:
            continue
        for name, c in contracts.items():
            code = c["evm"]["bytecode"]["object"]
            if code:
                out[name] = Compiled(name, c["abi"], "0x" + code, str(output.get("compiler", "solc-js")))
    return out
