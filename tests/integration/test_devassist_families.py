"""Every scaffold family, rendered with parameters other than its defaults, compiles with the
pinned solc-js and its own generated tests pass on a real node (one pytest run for all ten)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aiweb3.devassist.families import FAMILIES
from aiweb3.devassist.scaffold import render
from aiweb3.devassist.solidity import compile_solidity

PARAMS = {
    "token": {"CAP": 21_000_000, "SYMBOL": "TT"},
    "vesting": {"CLIFF_DAYS": 30, "DURATION_DAYS": 60},
    "splitter": {"SHARES": [5, 3, 2]},
    "auction": {"MIN_RAISE_PCT": 25},
    "multisig": {"THRESHOLD": 3, "OWNERS": 4},
    "sale": {"PRICE": 3, "PER_BUYER": 7},
}


def test_every_family_compiles_and_its_generated_tests_pass(tmp_path: Path) -> None:
    sources: dict[str, str] = {}
    for kind in FAMILIES:
        name = f"Gen{kind.capitalize()}"
        for rel, text in render(kind, name, f"a generated {kind}", PARAMS.get(kind, {})).items():
            (tmp_path / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / rel).write_text(text)
            if rel.endswith(".sol"):
                sources[Path(rel).name] = text
    assert sorted(compile_solidity(sources)) == sorted(f"Gen{k.capitalize()}" for k in FAMILIES)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIWEB3_HOME", "PYTEST_"))}
    tests = [f"{name.name}/tests" for name in sorted(tmp_path.iterdir())]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
