"""The shipped lending models and the crash-path simulation (pure: no node, no prover)."""

from __future__ import annotations

import numpy as np
import pytest

from aiweb3.defi.credit import SHIPPED_CREDIT, _teacher
from aiweb3.defi.lending_models import forward, read_network
from aiweb3.defi.protect import TRAIN_SEEDS, load_risk_policy, model_policy
from aiweb3.defi.protect_sim import (
    PathConfig,
    averages,
    crash_path,
    fixed_rule,
    forward_rule,
    no_protection,
    simulate,
    summarize,
    tune_forward_rule,
)
from aiweb3.errors import InputError


def test_paths_are_seeded_and_crash() -> None:
    cfg = PathConfig()
    a, ha = crash_path(3, cfg)
    b, hb = crash_path(3, cfg)
    assert np.array_equal(a, b) and ha == hb
    assert a.min() < 0.85 * a[0]  # the jump is at least 15%
    calm, _ = crash_path(3, PathConfig(crash=False))
    assert not np.array_equal(a, calm)


def test_average_is_the_geometric_mean_of_the_window() -> None:
    spot = np.array([1.0, 2.0, 4.0, 8.0])
    avg = averages(spot, 2)
    assert avg[0] == pytest.approx(1.0)
    assert avg[3] == pytest.approx(np.sqrt(4.0 * 8.0))


def test_unprotected_borrowers_are_liquidated_and_protection_prevents_it() -> None:
    cfg = PathConfig()
    paths = [crash_path(s, cfg) for s in range(40)]
    none = summarize([simulate(p, h, no_protection, cfg) for p, h in paths])
    fixed = summarize([simulate(p, h, fixed_rule(), cfg) for p, h in paths])
    assert none.liquidations > 10 and none.cost == 0
    assert fixed.liquidations <= none.liquidations // 10
    assert fixed.cost > 0


def test_shipped_risk_network_is_the_tuned_rule() -> None:
    policy = load_risk_policy()
    assert (policy.trigger, policy.target) == tune_forward_rule(TRAIN_SEEDS, PathConfig())
    rule = forward_rule(policy.trigger, policy.target)
    net = model_policy(policy)
    grid = [(hf, mv) for hf in np.linspace(1.0, 3.0, 21) for mv in np.linspace(-0.4, 0.05, 10)]
    errors = [abs(net(hf, mv) - rule(hf, mv)) for hf, mv in grid]
    # a smooth network against a rule with a step: close almost everywhere
    assert float(np.median(errors)) < 0.02
    assert float(np.mean(errors)) < 0.05


def test_shipped_credit_network_follows_its_rule() -> None:
    weights, meta = read_network(SHIPPED_CREDIT)
    assert meta["features"] == "transactions,counterparties,repayments,liquidations"
    rng = np.random.default_rng(0)
    x = np.stack(
        [rng.uniform(0, 6, 200), rng.uniform(0, 5, 200), rng.uniform(0, 3, 200), rng.integers(0, 6, 200)], 1
    )
    assert float(np.abs(forward(weights, x) - _teacher(x)).mean()) < 0.05


def test_a_file_that_is_not_a_network_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "x.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(InputError, match=r"x\.onnx"):
        read_network(bad)
