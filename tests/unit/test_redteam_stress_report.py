"""Value at risk, expected shortfall and recommendations from path results (pure; the chain part
runs in tests/integration/test_redteam_stress.py)."""

from __future__ import annotations

import pytest

from aiweb3.redteam.stress_config import GridPoint
from aiweb3.redteam.stress_path import AttackResult, PathResult
from aiweb3.redteam.stress_report import recommend, summarize


def _paths(point: GridPoint, losses: list[float], attack_profit: float | None = None) -> list[PathResult]:
    out = []
    for i, loss in enumerate(losses):
        r = PathResult(f"{point.label}/p{i}", i, i, 0.0, 1.0, 1.0)
        r.lender_loss, r.insolvent_debt = loss, loss * 1000
        if attack_profit is not None:
            r.attack = AttackResult(1, 0.5, 10.0, attack_profit > 0, attack_profit)
        out.append(r)
    return out


def test_var_is_the_loss_quantile_and_es_the_tail_mean() -> None:
    point = GridPoint(0.8, 0.05, 600)
    losses = [i / 1000 for i in range(100)]  # 0.000 .. 0.099
    s = summarize(point, _paths(point, losses[::-1]))
    assert s.var95 == pytest.approx(0.094) and s.var99 == pytest.approx(0.098)
    assert s.es99 == pytest.approx(0.099)  # the worst 1% of 100 paths: one path
    assert s.bad_debt_runs[0] == f"{point.label}/p0" and len(s.bad_debt_runs) == 99  # worst first
    assert s.mean_loss == pytest.approx(0.0495)


def test_recommendation_takes_the_highest_safe_factor_and_cites_the_rivals() -> None:
    safe_low = GridPoint(0.5, 0.05, 1800)
    risky_high = GridPoint(0.8, 0.05, 1800)
    manipulable = GridPoint(0.5, 0.05, 12)
    summaries = [
        summarize(safe_low, _paths(safe_low, [0.0] * 5, -10.0)),
        summarize(risky_high, _paths(risky_high, [0.0, 0.0, 0.02, 0.0, 0.0], -10.0)),
        summarize(manipulable, _paths(manipulable, [0.0] * 5, 500.0)),
    ]
    recs = {r.parameter: r for r in recommend(summaries, tolerance=0.0)}
    assert recs["collateral_factor"].value == 0.5 and recs["window"].value == 1800
    assert f"{risky_high.label}/p2" in recs["collateral_factor"].runs
    assert f"{manipulable.label}/p0" in recs["window"].runs
    assert "manipulation paid on 5/5" in recs["window"].reason
    # with a 3% tolerance the higher factor is safe enough
    assert {r.parameter: r.value for r in recommend(summaries, tolerance=0.03)}["collateral_factor"] == 0.8


def test_no_safe_point_is_said_so() -> None:
    point = GridPoint(0.8, 0.05, 12)
    recs = recommend([summarize(point, _paths(point, [0.1, 0.2], 5.0))], tolerance=0.0)
    assert all("no grid point met the tolerance" in r.reason for r in recs)
