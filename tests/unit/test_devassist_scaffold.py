"""Scaffolds: the template is chosen from the description; bad input is refused before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiweb3.devassist import scaffold_contract
from aiweb3.devassist.scaffold import KINDS, choose_kind, render
from aiweb3.errors import InputError
from aiweb3.llm import NoModel


def test_keywords_choose_the_template() -> None:
    assert choose_kind("an escrow that pays a seller when the buyer confirms") == ("escrow", "keywords")
    assert choose_kind("a vault that locks savings until a date", NoModel()) == ("vault", "keywords")


def test_every_template_renders_a_contract_its_tests_and_an_example() -> None:
    for kind in KINDS:
        files = render(kind, "MyThing", "does  a\nthing")
        assert set(files) == {"contracts/MyThing.sol", "tests/test_my_thing.py", "examples/use_my_thing.py"}
        assert "contract MyThing is" in files["contracts/MyThing.sol"]
        assert "/// @notice does a thing" in files["contracts/MyThing.sol"]
        assert "$" not in files["tests/test_my_thing.py"]


@pytest.mark.parametrize(
    ("name", "description", "message"),
    [
        ("lowercase", "an escrow", "not a contract name"),
        ("Bad-Name", "an escrow", "not a contract name"),
        ("Fine", "a poem about the sea", "no scaffold fits.*escrow, vault"),
    ],
)
def test_bad_requests_are_refused(tmp_path: Path, name: str, description: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        scaffold_contract(name, description, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    with pytest.raises(InputError, match="exists and is not empty"):
        scaffold_contract("Fine", "an escrow", tmp_path / "out")
    assert (tmp_path / "out" / "mine.txt").read_text() == "keep"
