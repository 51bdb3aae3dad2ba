"""Validators score miners' updates on their own hidden data: the loss improvement each brings."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from aiweb3.network.federation import RoundRecord
from aiweb3_flower.task import loss

__all__ = ["cabal_weights", "score_round"]


def score_round(
    record: RoundRecord, x_eval: NDArray[np.float64], y_eval: NDArray[np.int64], n_miners: int
) -> list[float]:
    """Per miner: how much its update lowers the loss of the round's starting model on this
    validator's evaluation split (0 for no improvement, a missing or a refused update)."""
    base = loss(record.before, x_eval, y_eval)
    scores = [0.0] * n_miners
    for miner, update in record.updates.items():
        if 0 <= miner < n_miners:
            scores[miner] = max(0.0, base - loss(update, x_eval, y_eval))
    return scores


def cabal_weights(n_miners: int, favoured: list[int]) -> list[float]:
    """What a colluding validator reports: everything on its own miners, nothing on the rest."""
    return [1.0 if j in favoured else 0.0 for j in range(n_miners)]
