"""Crash paths and the liquidation-protection policies, simulated off chain (seeded).

A path is a spot price series: geometric Brownian motion, and on crash paths a jump down
followed by a few steps of further decline (jump-diffusion). The lending market prices
collateral at the pool's geometric time-weighted average over ``window`` steps (what
UniV3TwapOracle reads from the pool), so the average lags the spot price: that lag is what a
forward-looking policy can use. A borrower starts at a random health factor; each step the
price moves, liquidators act first (health factor below 1 ends the path as a liquidation),
then the policy may repay a share of the debt. The deleveraging cost is the debt repaid
early, as a share of the starting debt.

Policies:
    fixed_rule     repay to ``target`` when the health factor falls below ``trigger`` (how
                   automation services such as DeFi Saver's "repay" work)
    forward_rule   the same on the *projected* health factor hf * spot / average, where the
                   average is heading; its parameters are tuned on training seeds, and the
                   proven risk model is trained to reproduce it (aiweb3.defi.protect)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "HF_CAP",
    "MAX_MOVE",
    "MIN_ACTION",
    "Outcome",
    "PathConfig",
    "Policy",
    "Summary",
    "averages",
    "crash_path",
    "features",
    "fixed_rule",
    "forward_rule",
    "no_protection",
    "simulate",
    "summarize",
    "tune_forward_rule",
    "tune_rule",
]

#: What LiquidationGuard feeds the model: health factor capped here, move clipped to +-MAX_MOVE.
HF_CAP = 4.0
MAX_MOVE = 0.5
#: Shares of the debt below this are not acted on (LiquidationGuard.MIN_ACTION).
MIN_ACTION = 0.01

#: A policy maps (health factor, spot / average - 1) to the share of the debt to repay now.
Policy = Callable[[float, float], float]


@dataclass(frozen=True)
class PathConfig:
    """Shape of the simulated paths (per step: one TWAP-window slot, e.g. a minute)."""

    steps: int = 120
    window: int = 10
    sigma: float = 0.01
    crash: bool = True
    jump: tuple[float, float] = (0.15, 0.40)
    drift_steps: tuple[int, int] = (3, 10)
    drift: tuple[float, float] = (0.005, 0.02)
    start_health: tuple[float, float] = (1.3, 1.8)
    threshold: float = 0.8


@dataclass(frozen=True)
class Outcome:
    """One path under one policy."""

    liquidated: bool
    repaid: float  # debt repaid early, as a share of the starting debt
    actions: int


@dataclass(frozen=True)
class Summary:
    """A policy over many paths."""

    paths: int
    liquidations: int
    cost: float  # mean share of the starting debt repaid early
    actions: float  # mean actions per path


def crash_path(seed: int, config: PathConfig) -> tuple[np.ndarray, float]:
    """Spot prices (starting at 1.0) and the starting health factor for ``seed``."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0, config.sigma, config.steps)
    if config.crash:
        at = int(rng.integers(config.window * 3, config.steps - 30))
        returns[at] += math.log(1.0 - rng.uniform(*config.jump))
        k = int(rng.integers(config.drift_steps[0], config.drift_steps[1] + 1))
        returns[at + 1 : at + 1 + k] -= rng.uniform(*config.drift)
    spot = np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    return spot, float(rng.uniform(*config.start_health))


def features(hf: float, spot: float, average: float) -> tuple[float, float]:
    """The model's two inputs, capped and clipped as LiquidationGuard computes them."""
    move = spot / average - 1.0
    return min(hf, HF_CAP), max(-MAX_MOVE, min(MAX_MOVE, move))


def averages(spot: np.ndarray, window: int) -> np.ndarray:
    """The geometric mean of the last ``window`` spot prices at every step (the TWAP)."""
    cums = np.concatenate([[0.0], np.cumsum(np.log(spot))])
    idx = np.arange(1, len(spot) + 1)
    lo = np.maximum(0, idx - window)
    return np.asarray(np.exp((cums[idx] - cums[lo]) / (idx - lo)))


def simulate(spot: np.ndarray, start_health: float, policy: Policy, config: PathConfig) -> Outcome:
    """Run one path: liquidation check, then the policy, every step."""
    twap = averages(spot, config.window).tolist()
    prices = spot.tolist()
    debt0 = debt = prices[0] * config.threshold / start_health  # one unit of collateral
    repaid, actions = 0.0, 0
    for t in range(1, len(prices)):
        hf = twap[t] * config.threshold / debt
        if hf < 1.0:
            return Outcome(True, repaid / debt0, actions)
        share = policy(*features(hf, prices[t], twap[t]))
        if share >= MIN_ACTION:
            share = min(share, 1.0)
            repaid += debt * share
            debt -= debt * share
            actions += 1
            if debt <= debt0 * 1e-9:
                break
    return Outcome(False, repaid / debt0, actions)


def summarize(outcomes: Sequence[Outcome]) -> Summary:
    """Liquidations, mean cost and mean actions."""
    n = len(outcomes)
    return Summary(
        paths=n,
        liquidations=sum(o.liquidated for o in outcomes),
        cost=sum(o.repaid for o in outcomes) / n if n else 0.0,
        actions=sum(o.actions for o in outcomes) / n if n else 0.0,
    )


def no_protection(hf: float, move: float) -> float:
    """Never act."""
    return 0.0


def fixed_rule(trigger: float = 1.25, target: float = 1.5) -> Policy:
    """Repay to ``target`` whenever the health factor is below ``trigger``."""

    def policy(hf: float, move: float) -> float:
        return 1.0 - hf / target if hf < trigger else 0.0

    return policy


def forward_rule(trigger: float, target: float) -> Policy:
    """Repay to ``target`` whenever the projected health factor hf * (1 + move) is below ``trigger``."""

    def policy(hf: float, move: float) -> float:
        projected = hf * (1.0 + move)
        return max(0.0, 1.0 - projected / target) if projected < trigger else 0.0

    return policy


def tune_rule(
    rule: Callable[[float, float], Policy],
    seeds: Sequence[int],
    config: PathConfig,
    *,
    max_liquidation_rate: float = 0.01,
) -> tuple[float, float]:
    """The (trigger, target) of ``rule`` (fixed_rule or forward_rule) with the lowest cost on
    ``seeds`` among those whose liquidation rate is at most ``max_liquidation_rate``. Tune on
    training seeds only; evaluate on others."""
    paths = [crash_path(s, config) for s in seeds]
    best: tuple[float, float, float] | None = None
    for trigger in (1.05, 1.1, 1.15, 1.2, 1.25, 1.3):
        for target in (1.1, 1.15, 1.2, 1.3, 1.4, 1.5):
            if target <= trigger:
                continue
            policy = rule(trigger, target)
            summary = summarize([simulate(p, h, policy, config) for p, h in paths])
            if summary.liquidations > max_liquidation_rate * len(paths):
                continue
            if best is None or summary.cost < best[0]:
                best = (summary.cost, trigger, target)
    return (1.3, 1.5) if best is None else (best[1], best[2])


def tune_forward_rule(seeds: Sequence[int], config: PathConfig) -> tuple[float, float]:
    """:func:`tune_rule` for :func:`forward_rule`."""
    return tune_rule(forward_rule, seeds, config)
