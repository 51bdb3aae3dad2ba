"""Scaffolds: the family and its parameters are chosen from the description; bad input is refused
before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiweb3.devassist import scaffold_contract
from aiweb3.devassist.families import FAMILIES, validate_params
from aiweb3.devassist.scaffold import KINDS, choose, choose_kind, render
from aiweb3.errors import InputError
from aiweb3.llm import NoModel

REQUESTS = json.loads((Path(__file__).parent / "data" / "devassist_scaffold_requests.json").read_text())


def test_keywords_choose_the_template() -> None:
    assert choose_kind("an escrow that pays a seller when the buyer confirms") == ("escrow", "keywords")
    assert choose_kind("a vault that locks savings until a date", NoModel()) == ("vault", "keywords")


def test_ten_requests_map_to_ten_families_with_their_stated_parameters() -> None:
    assert len(REQUESTS) == 10 and len({r["kind"] for r in REQUESTS}) == 10 == len(FAMILIES)
    for r in REQUESTS:
        c = choose(r["from"], r["name"], NoModel())
        assert (c.kind, c.engine, c.notes) == (r["kind"], "keywords", ()), r
        for key, value in r["params"].items():
            assert c.params[key] == value, (r, c.params)


@pytest.mark.parametrize(
    ("description", "kind", "expected"),
    [
        ("a multisig wallet, three of five owners must approve", "multisig", {"THRESHOLD": 3, "OWNERS": 5}),
        ("a mintable coin with a max supply of 1,000,000", "token", {"CAP": 1_000_000}),
        ("split revenue 50/30/20 between three payees", "splitter", {"SHARES": [50, 30, 20]}),
        (
            "vesting with a cliff of 1 year, vests over 4 years",
            "vesting",
            {"CLIFF_DAYS": 365, "DURATION_DAYS": 1460},
        ),
    ],
)
def test_parameters_are_read_from_the_description(
    description: str, kind: str, expected: dict[str, object]
) -> None:
    c = choose(description, "Thing")
    assert c.kind == kind
    assert {k: c.params[k] for k in expected} == expected


def test_parameters_outside_the_templates_bounds_fall_back_to_defaults_with_a_note() -> None:
    c = choose("a 5-of-3 multisig for the owners", "Safe")
    assert c.kind == "multisig" and (c.params["THRESHOLD"], c.params["OWNERS"]) == (2, 3)
    assert any("threshold cannot exceed" in n for n in c.notes)
    params, notes = validate_params("token", "Gold", {"CAP": -5, "SYMBOL": "lower"})
    assert params == {"CAP": 1_000_000, "SYMBOL": "GOLD"} and len(notes) == 2
    params, notes = validate_params("splitter", "S", {"SHARES": [100]})
    assert params["SHARES"] == [50, 50] and notes
    rendered = render("multisig", "Safe", "x", {"THRESHOLD": 3, "OWNERS": 4})
    assert "uint256 public constant THRESHOLD = 3;" in rendered["contracts/Safe.sol"]
    assert "THRESHOLD, OWNERS = 3, 4" in rendered["tests/test_safe.py"]


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
        ("Fine", "a poem about the sea", "no scaffold fits.*escrow, vault, token"),
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
