"""The numpy Yuma reference on hand-checked cases from subtensor's consensus document."""

from __future__ import annotations

import numpy as np
import pytest

from aiweb3.errors import InputError
from aiweb3.network.subnet import weights_from_scores
from aiweb3.network.yuma import YumaParams, yuma_epoch


def test_minority_cabal_self_weight_is_clipped_to_consensus() -> None:
    # validators 0-1 honest (70% stake) weight miner 0; validator 2 (cabal, 30%) weights only miner 1
    result = yuma_epoch([40, 30, 30], [[1, 0], [1, 0], [0, 1]], None, YumaParams())
    assert result.consensus.tolist() == [1.0, 0.0]
    assert result.incentive.tolist() == [1.0, 0.0]
    # the cabal's bonds are cut to consensus, so it earns no dividends
    assert result.dividends[2] == 0.0
    assert result.dividends[0] == pytest.approx(40 / 70)


def test_weight_supported_by_exactly_kappa_stands() -> None:
    result = yuma_epoch([50, 50], [[3, 1], [1, 1]], None, YumaParams(kappa=0.5))
    # miner 0: 0.75 from half the stake, 0.5 from all of it -> the half meets kappa = 0.5
    assert result.consensus.tolist() == [0.75, 0.5]


def test_bonds_are_an_exponential_moving_average() -> None:
    params = YumaParams(alpha=0.25)
    first = yuma_epoch([1, 1], [[1, 0], [1, 0]], None, params)
    assert first.bonds[:, 0].tolist() == [0.125, 0.125]
    second = yuma_epoch([1, 1], [[1, 0], [1, 0]], first.bonds, params)
    assert second.bonds[:, 0].tolist() == pytest.approx([0.125 + 0.25 * (0.5 - 0.125)] * 2)


def test_validators_without_stake_get_nothing_and_count_for_nothing() -> None:
    result = yuma_epoch([10, 0], [[0, 1], [1, 0]], np.full((2, 2), 0.5), YumaParams())
    assert result.consensus.tolist() == [0.0, 1.0]
    assert result.dividends.tolist() == [1.0, 0.0]


def test_scores_become_uint16_weights_and_bad_scores_are_refused() -> None:
    assert weights_from_scores([0.5, 1.0, 0.0]) == [32768, 65535, 0]
    assert weights_from_scores([0.0, 0.0]) == [0, 0]
    with pytest.raises(InputError, match="miner 1"):
        weights_from_scores([1.0, float("nan")])
    with pytest.raises(InputError, match="miner 0"):
        weights_from_scores([-1.0])
