"""Yuma consensus in numpy: the reference the Subnet contract is tested against.

Written from subtensor's ``docs/consensus.md`` in floating point, independent of the contract's
fixed-point arithmetic. One call is one epoch: stakes and weights of the validators in, consensus,
ranks, incentive, dividends and the new exponential-moving-average bonds out.

One deliberate departure, on by default (``median_incentive``): miners are paid by the consensus
weight ``c_j`` (normalised) instead of the rank ``R_j = sum_i S_i min(W_ij, c_j)``. Clipping only
cuts weight *above* consensus, so in documented Yuma a minority that puts all its weight on one
miner withholds it from every other, lowers their ranks and so raises its favourite's normalised
incentive. The consensus is a stake-weighted median: a minority can move it only within the
spread of the majority's own weights, and not at all where the majority agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["WAD", "YumaParams", "YumaResult", "yuma_epoch"]

#: The contract's fixed-point unit (1.0).
WAD = 10**18

Vector = NDArray[np.float64]
Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class YumaParams:
    """Consensus parameters as fractions of 1.

    Args:
        kappa: share of stake that must support a weight for it to stand (the majority).
        beta: bonds penalty: how much of the weight above consensus is cut before bonding.
        alpha: rate of the bonds' exponential moving average.
        xi: share of each epoch's emission paid to validators (the rest goes to miners).
        median_incentive: pay miners by the normalised consensus weights rather than the ranks
            (False: subtensor's documented rule).
    """

    kappa: float = 0.5
    beta: float = 1.0
    alpha: float = 0.1
    xi: float = 0.5
    median_incentive: bool = True

    def as_wad(self) -> tuple[int, int, int, int]:
        """The parameters as the contract takes them (1e18 fixed point)."""
        return tuple(round(v * WAD) for v in (self.kappa, self.beta, self.alpha, self.xi))  # type: ignore[return-value]


@dataclass(frozen=True)
class YumaResult:
    """One epoch's outcome (shares of 1)."""

    consensus: Vector
    ranks: Vector
    incentive: Vector
    dividends: Vector
    bonds: Matrix


def _normalize(v: Vector) -> Vector:
    total = float(v.sum())
    return v / total if total > 0 else np.zeros_like(v)


def yuma_epoch(
    stakes: NDArray[np.int64] | list[int],
    weights: NDArray[np.float64] | list[list[float]],
    bonds: Matrix | None,
    params: YumaParams,
) -> YumaResult:
    """Run one epoch of Yuma consensus.

    Args:
        stakes: raw stake per validator; 0 for a validator that did not set weights this epoch.
        weights: raw weights, validator x miner (each row is normalised here).
        bonds: previous EMA bonds (validator x miner), or None for zeros.
        params: kappa, beta, alpha and the incentive rule (xi is not used here).
    """
    raw_stake = np.asarray(stakes, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64).reshape(len(raw_stake), -1)
    n_miners = w.shape[1]
    active = raw_stake > 0
    w = np.where(active[:, None], w, 0.0)
    row_sums = w.sum(axis=1, keepdims=True)
    w = np.divide(w, row_sums, out=np.zeros_like(w), where=row_sums > 0)
    s = _normalize(raw_stake)
    # consensus: the largest weight that validators holding >= kappa of the stake meet or exceed;
    # the stake comparison is made on exact integers so the majority threshold is not blurred
    total = sum(int(x) for x in np.asarray(stakes))
    kappa_wad = round(params.kappa * WAD)
    consensus = np.zeros(n_miners)
    for j in range(n_miners):
        for candidate in sorted(set(w[active, j].tolist()), reverse=True):
            support = sum(
                int(st) for st, wij in zip(np.asarray(stakes), w[:, j], strict=True) if wij >= candidate
            )
            if support * WAD >= kappa_wad * total:
                consensus[j] = candidate
                break
    clipped = np.minimum(w, consensus[None, :])
    ranks = s @ clipped
    incentive = _normalize(consensus if params.median_incentive else ranks)
    tilde = (1.0 - params.beta) * w + params.beta * clipped
    weighted = s[:, None] * tilde
    col = weighted.sum(axis=0, keepdims=True)
    delta = np.divide(weighted, col, out=np.zeros_like(weighted), where=col > 0)
    previous = np.zeros_like(w) if bonds is None else np.asarray(bonds, dtype=np.float64)
    new_bonds = params.alpha * delta + (1.0 - params.alpha) * previous
    dividends = _normalize(np.where(active, new_bonds @ incentive, 0.0))
    return YumaResult(consensus, ranks, incentive, dividends, new_bonds)
