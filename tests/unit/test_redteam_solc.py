"""Choosing the pinned solc version from pragmas, and reading amounts in the target step language."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiweb3.errors import InputError
from aiweb3.redteam.solc import SOLC_PACKAGES, compile_sources, pick_version
from aiweb3.redteam.steps import StepContext


def _src(pragma: str) -> dict[str, str]:
    return {"A.sol": f"// SPDX-License-Identifier: MIT\npragma solidity {pragma};\ncontract A {{}}\n"}


@pytest.mark.parametrize(
    ("pragma", "version"),
    [
        ("^0.8.0", "0.8.30"),
        ("0.8.20", "0.8.20"),
        ("=0.8.20", "0.8.20"),
        ("^0.4.24", "0.4.26"),
        ("^0.5.0", "0.5.17"),
        ("^0.6.0", "0.6.12"),
        ("~0.7.0", "0.7.6"),
        (">=0.6.0 <0.7.0", "0.6.12"),
        (">=0.4.22 <0.9.0", "0.8.30"),
        (">=0.5.0 <=0.8.20", "0.8.20"),
        ("0.4.26 || ^0.5.0", "0.5.17"),
        ("0.7", "0.7.6"),
        ("^0.8.21", "0.8.30"),
    ],
)
def test_the_newest_pinned_version_that_fits_is_picked(pragma: str, version: str) -> None:
    assert pick_version(_src(pragma)) == version


def test_every_file_must_agree() -> None:
    sources = {**_src("^0.8.0"), "B.sol": "pragma solidity ^0.6.0;\ncontract B {}\n"}
    with pytest.raises(InputError, match="no pinned solc version satisfies"):
        pick_version(sources)


def test_commented_out_pragmas_are_ignored() -> None:
    text = (
        "// pragma solidity ^0.4.0;\n/* pragma solidity 0.5.0; */\npragma solidity ^0.6.0;\ncontract A {}\n"
    )
    assert pick_version({"A.sol": text}) == "0.6.12"


def test_no_pragma_takes_the_newest() -> None:
    assert pick_version({"A.sol": "contract A {}\n"}) == max(
        SOLC_PACKAGES, key=lambda v: tuple(map(int, v.split(".")))
    )


@pytest.mark.parametrize("pragma", ["^0.3.0", ">=0.9.0", "0.8.99"])
def test_unpinned_versions_are_refused_in_one_line(pragma: str) -> None:
    with pytest.raises(InputError) as info:
        pick_version(_src(pragma))
    assert "\n" not in str(info.value) and pragma in str(info.value)


def test_unreadable_pragma_is_refused() -> None:
    with pytest.raises(InputError, match="cannot read the pragma"):
        pick_version(_src("^zero.eight"))


@pytest.mark.parametrize(
    ("text", "wei"),
    [
        (5, 5),
        ("7", 7),
        ("1.5 ether", 15 * 10**17),
        ("2 gwei", 2 * 10**9),
        ("0.1ether", 10**17),
        ("max", 2**256 - 1),
    ],
)
def test_amounts(text: object, wei: int) -> None:
    ctx = StepContext(chain=None, roles=None, variant="vulnerable", code=lambda n: ([], ""))  # type: ignore[arg-type]
    assert ctx.amount(text) == wei


@pytest.mark.parametrize("text", ["lots", True, "1 bitcoin", None])
def test_bad_amounts_are_refused(text: object) -> None:
    ctx = StepContext(chain=None, roles=None, variant="vulnerable", code=lambda n: ([], ""))  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"is not an amount|expected a number"):
        ctx.amount(text)


def test_the_compile_cache_is_private_and_must_be_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "solc-cache"
    someone_else = os.getuid() + 1
    with pytest.raises(InputError, match="belongs to another user"):
        monkeypatch.setattr(os, "getuid", lambda: someone_else)
        compile_sources(_src("^0.8.0"), cache_dir=cache)
    assert cache.stat().st_mode & 0o777 == 0o700  # created for this user only
