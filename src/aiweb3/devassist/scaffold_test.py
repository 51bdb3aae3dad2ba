"""Write a first pytest file for an existing contract: it compiles the contract with the pinned
solc-js, deploys it on the ``aiweb3.testing`` node and calls every view function that takes no
arguments. The file is written only after it ran and passed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiweb3.devassist.scaffold import ScaffoldFailed, run_tests
from aiweb3.devassist.solidity import compile_solidity
from aiweb3.errors import InputError

__all__ = ["TestScaffold", "scaffold_tests"]

#: A stand-in value per constructor argument type (an address argument gets AIUSD's address,
#: which also serves an IERC20 parameter).
_VALUES = {"bool": "True", "string": '"test"', "bytes": 'b"\\x01"', "bytes32": 'b"\\x01" * 32'}


@dataclass
class TestScaffold:
    """The test file written and what it covers."""

    path: Path
    contracts: list[str]
    views: list[str]


def _arg(abi_type: str) -> str | None:
    if abi_type == "address":
        return "aiusd.address"
    if re.fullmatch(r"u?int\d*", abi_type):
        return "1"
    return _VALUES.get(abi_type)


def _render(source: Path, compiled: dict[str, Any]) -> tuple[str, list[str]]:
    parts = [
        f'"""First tests of {source.name} (written by `aiweb3 dev new test`; extend them)."""',
        "",
        "from __future__ import annotations",
        "",
        "from pathlib import Path",
        "from typing import Any",
        "",
        "import pytest",
        "",
        "from aiweb3.devassist import compile_solidity",
        "",
        f"SOURCE = Path({json.dumps(str(source.resolve()))})",
        "",
        "",
        '@pytest.fixture(scope="module")',
        "def compiled() -> Any:",
        f"    return compile_solidity({{{json.dumps(source.name)}: SOURCE.read_text()}})",
    ]
    views: list[str] = []
    for name, c in compiled.items():
        ctor: dict[str, Any] = next((i for i in c.abi if i.get("type") == "constructor"), {"inputs": []})
        args = [_arg(str(i["type"])) for i in ctor.get("inputs", [])]
        if any(a is None for a in args):
            continue  # a constructor argument with no stand-in value: left to the developer
        fns = [
            f for f in c.abi
            if f.get("type") == "function" and f.get("stateMutability") in ("view", "pure")
            and not f.get("inputs")
        ]  # fmt: skip
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        call_args = "".join(f", {a}" for a in args)
        parts += [
            "",
            "",
            f"def test_{snake}_deploys_and_answers_its_views(",
            "    chain: Any, accounts: Any, aiusd: Any, compiled: Any, chain_isolation: Any",
            ") -> None:",
            f"    c = compiled[{json.dumps(name)}]",
            "    chain.errors.add_abi(c.abi)",
            f"    address, _ = chain.deploy(accounts[0], c.abi, c.bytecode{call_args})",
            "    assert chain.code(address)",
            "    contract = chain.contract(c.abi, address)",
        ]
        for f in fns:
            parts.append(f"    chain.call(contract.functions.{f['name']}())")
            views.append(f"{name}.{f['name']}")
    return "\n".join(parts) + "\n", views


def scaffold_tests(source: Path, out: Path | None = None) -> TestScaffold:
    """Write ``tests/test_<name>.py`` (or ``out``) for the contracts in ``source``, once it passes.

    Raises:
        InputError: not a .sol file, ``out`` exists, or no contract can be deployed with stand-in
            constructor arguments.
        CompileFailed: the contract does not compile.
        ScaffoldFailed: the written tests do not pass (nothing is written).
    """
    if source.suffix != ".sol" or not source.is_file():
        raise InputError(f"{source} is not a Solidity file: give the path of a .sol file")
    target = out or Path("tests") / f"test_{re.sub(r'(?<!^)(?=[A-Z])', '_', source.stem).lower()}.py"
    if target.exists():
        raise InputError(f"{target} exists: choose another file with --out (nothing is overwritten)")
    compiled = compile_solidity({source.name: source.read_text(encoding="utf-8")})
    text, views = _render(source, compiled)
    if "def test_" not in text:
        raise InputError(
            f"no contract in {source.name} can be deployed with stand-in constructor arguments; "
            "write its test by hand"
        )
    work = Path(tempfile.mkdtemp(prefix=".devassist-test-"))
    try:
        (work / "tests").mkdir()
        (work / "tests" / target.name).write_text(text)
        passed, tail = run_tests(work)
        if not passed:
            last = tail.splitlines()[-1] if tail else "no output"
            raise ScaffoldFailed(f"the generated tests do not pass ({last}); nothing was written")
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.tmp")
        staged.write_text(text)
        os.replace(staged, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    contracts = sorted({v.split(".")[0] for v in views} | set(compiled))
    return TestScaffold(target, contracts, views)
