"""Validators score miners' updates on their own hidden data: the loss improvement each brings."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from aiweb3.errors import InputError
from aiweb3.network.federation import RoundRecord
from aiweb3_flower.task import loss

__all__ = ["cabal_weights", "score_round", "smooth_scores"]


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


def smooth_scores(previous: list[float] | None, scores: list[float], rate: float) -> list[float]:
    """A validator's running view of the miners: the round's scores as shares of 1, folded into an
    exponential moving average (``rate`` of the new round; 1 keeps only the new round).

    One round's loss improvements on a small hidden split are noisy, and honest validators that
    disagree leave a cabal room to move the stake-weighted median between them; averaging over
    rounds (as Bittensor validators do with their moving-average scores) narrows that room.

    Raises:
        InputError: ``rate`` is not in (0, 1], or the lengths differ.
    """
    if not 0 < rate <= 1:
        raise InputError(f"the score average's rate must be in (0, 1], not {rate}")
    if previous is not None and len(previous) != len(scores):
        raise InputError(f"{len(scores)} scores for {len(previous)} miners")
    total = sum(scores)
    shares = [s / total if total > 0 else 0.0 for s in scores]
    if previous is None:
        return shares
    return [rate * new + (1 - rate) * old for new, old in zip(shares, previous, strict=True)]


def cabal_weights(n_miners: int, favoured: list[int]) -> list[float]:
    """What a colluding validator reports: everything on its own miners, nothing on the rest."""
    return [1.0 if j in favoured else 0.0 for j in range(n_miners)]
