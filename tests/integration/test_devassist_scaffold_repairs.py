"""A scaffold that does not compile is tried again, then reported; nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiweb3.devassist import ScaffoldFailed, scaffold_contract
from aiweb3.devassist.scaffold import render


def test_a_scaffold_that_never_compiles_is_reported_and_not_written(tmp_path: Path) -> None:
    tries: list[str] = []

    def broken(kind: str, name: str, description: str, params: dict[str, Any]) -> dict[str, str]:
        tries.append(kind)
        files = render(kind, name, description, params)
        files[f"contracts/{name}.sol"] = files[f"contracts/{name}.sol"].replace(
            "external nonReentrant", "nope", 1
        )
        return files

    with pytest.raises(
        ScaffoldFailed, match=r"after 2 tries \(does not compile: .*Error.*nothing was written"
    ):
        scaffold_contract("Broken", "an escrow", tmp_path / "Broken", repairs=1, renderer=broken)
    assert tries == ["escrow", "escrow"]
    assert list(tmp_path.iterdir()) == []  # no folder, no leftovers
