"""Economic stress tests on the real lending market and v3 pool (issue 19, item 5), end to end on
the session's anvil node: a crash leaves bad debt with an aggressive collateral factor and none
with a conservative one; the oracle manipulator profits against a one-block TWAP window and loses
against a 30-minute one; a seed gives the same paths twice; the report is written."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.redteam.stress import run_stress
from aiweb3.redteam.stress_config import StressConfig, parse_grid
from aiweb3.redteam.stress_report import report_dict, write_report

CRASH = StressConfig(paths=2, seed=3, steps=8, shock_probability=1.0, shock=(0.4, 0.4), manipulator=False)
ATTACK = StressConfig(paths=2, seed=5, steps=6, shock_probability=0.0, manipulator=True)


def _run(chain: Chain, deployer: LocalAccount, home: Path, config: StressConfig, grid: str) -> dict[str, Any]:
    points, skipped = parse_grid(grid)
    return report_dict(run_stress(chain, deployer, home, config, points, skipped=skipped))


@pytest.fixture(scope="module")
def crash(chain: Chain, deployer: LocalAccount, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _run(chain, deployer, tmp_path_factory.mktemp("crash"), CRASH, "cf=0.5,0.8;bonus=0.05;window=600")


@pytest.fixture(scope="module")
def attack(chain: Chain, deployer: LocalAccount, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _run(
        chain, deployer, tmp_path_factory.mktemp("attack"), ATTACK, "cf=0.8;bonus=0.05;window=12,1800"
    )


def _summary(data: dict[str, Any], label: str) -> dict[str, Any]:
    return next(s for s in data["summaries"] if s["label"] == label)


def test_crash_leaves_bad_debt_only_with_the_aggressive_collateral_factor(crash: dict[str, Any]) -> None:
    aggressive, conservative = _summary(crash, "cf0.80-b0.05-w600"), _summary(crash, "cf0.50-b0.05-w600")
    assert len(aggressive["bad_debt_runs"]) == 2 and aggressive["var99"] > 0
    assert aggressive["insolvent_debt"] > 0
    assert conservative["bad_debt_runs"] == [] and conservative["var99"] == 0
    for path in crash["paths"]["cf0.80-b0.05-w600"]:
        assert path["shock"] == pytest.approx(0.4) and path["min_price"] < 0.65
    # the liquidators earned their bonus somewhere, and the recommendation cites the bad-debt runs
    assert aggressive["liquidations"] + conservative["liquidations"] > 0
    cf = next(r for r in crash["recommendations"] if r["parameter"] == "collateral_factor")
    assert cf["value"] == 0.5
    assert set(aggressive["bad_debt_runs"]) <= set(cf["runs"])


def test_manipulator_profits_against_a_one_block_window_only(attack: dict[str, Any]) -> None:
    short, long = _summary(attack, "cf0.80-b0.05-w12"), _summary(attack, "cf0.80-b0.05-w1800")
    assert short["attacks"] == long["attacks"] == 2
    for path in attack["paths"]["cf0.80-b0.05-w12"]:
        assert path["attack"]["twap_move"] > 0.9  # the whole push shows in the 12 s average
        assert path["attack"]["walked_away"] and path["attack"]["profit"] > 0
        assert path["insolvent_manipulator"] > 0 and path["lender_loss"] > 0
    for path in attack["paths"]["cf0.80-b0.05-w1800"]:
        assert 0 < path["attack"]["twap_move"] < 0.01  # 12 s of 1800
        assert not path["attack"]["walked_away"] and path["attack"]["profit"] < 0
        assert path["attack"]["borrowed"] > 0 and path["insolvent_debt"] == 0
    assert len(short["attack_profitable_runs"]) == 2 and long["attack_profitable_runs"] == []
    window = next(r for r in attack["recommendations"] if r["parameter"] == "window")
    assert window["value"] == 1800 and "cf0.80-b0.05-w12/p0" in window["runs"]


def test_a_single_block_manipulation_gets_nothing_even_from_a_one_block_window(
    chain: Chain, deployer: LocalAccount, tmp_path: Path
) -> None:
    flash = replace(ATTACK, paths=1, hold=0)
    data = _run(chain, deployer, tmp_path, flash, "cf=0.8;bonus=0.05;window=12")
    (path,) = data["paths"]["cf0.80-b0.05-w12"]
    assert abs(path["attack"]["twap_move"]) < 0.001  # the push is invisible to the average
    assert path["attack"]["borrowed"] > 0 and not path["attack"]["walked_away"]
    assert path["attack"]["profit"] < 0 and path["insolvent_debt"] == 0


def test_a_seed_gives_the_same_paths(
    chain: Chain, deployer: LocalAccount, tmp_path: Path, attack: dict[str, Any]
) -> None:
    again = _run(chain, deployer, tmp_path, ATTACK, "cf=0.8;bonus=0.05;window=12,1800")
    assert again["paths"] == attack["paths"]
    assert again["recommendations"] == attack["recommendations"]


def test_report_is_written_as_json_and_markdown(tmp_path: Path, crash: dict[str, Any]) -> None:
    json_path, md_path = write_report(crash, tmp_path / "out")
    assert json.loads(json_path.read_text())["paths"] == crash["paths"]
    text = md_path.read_text()
    assert "VaR 99%" in text and "cf0.80-b0.05-w600/p0" in text and "## Recommendations" in text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["stress.json", "stress.md"]
