"""The numpy Yuma reference on hand-checked cases from subtensor's consensus document."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiweb3.errors import InputError
from aiweb3.network.scoring import smooth_scores
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


DOCUMENTED = YumaParams(median_incentive=False)  # subtensor's rule: incentive = normalised ranks


def test_documented_yuma_lets_a_minority_raise_its_favourite_by_withholding_weight() -> None:
    # two honest validators (70%) agree every miner is worth the same; the cabal (30%) backs miner 0
    honest = [[1, 1, 1, 1], [1, 1, 1, 1]]
    stakes = [40, 30, 30]
    fair = yuma_epoch(stakes, [*honest, [1, 1, 1, 1]], None, DOCUMENTED)
    colluding = yuma_epoch(stakes, [*honest, [1, 0, 0, 0]], None, DOCUMENTED)
    assert fair.incentive.tolist() == [0.25] * 4
    # the cabal's weight on miner 0 is clipped to consensus (0.25), but its zeros on the others
    # lower their ranks: miner 0's share rises from 25% to 0.25 / (0.25 + 3 * 0.175) = 32%
    assert colluding.consensus.tolist() == [0.25] * 4
    assert colluding.incentive[0] == pytest.approx(0.25 / (0.25 + 3 * 0.7 * 0.25))
    # paying by consensus: the same collusion changes nothing
    assert yuma_epoch(stakes, [*honest, [1, 0, 0, 0]], None, YumaParams()).incentive.tolist() == [0.25] * 4


@st.composite
def cabal_cases(draw: st.DrawFn) -> tuple[list[int], list[float], list[list[float]]]:
    """Honest validators holding a strict majority of the stake and a cabal with the rest."""
    n_honest, n_cabal, n_miners = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(2, 8))
    honest_stake = draw(st.lists(st.integers(1, 10**6), min_size=n_honest, max_size=n_honest))
    cap = (sum(honest_stake) - 1) // n_cabal  # the cabal's total stays below the honest total
    cabal_stake = draw(st.lists(st.integers(0, max(cap, 0)), min_size=n_cabal, max_size=n_cabal))
    shared = draw(st.lists(st.integers(0, 65535), min_size=n_miners, max_size=n_miners))
    row = st.lists(st.integers(0, 65535), min_size=n_miners, max_size=n_miners)
    cabal_rows = draw(st.lists(row, min_size=n_cabal, max_size=n_cabal))
    return honest_stake + cabal_stake, [float(x) for x in shared], [[float(x) for x in r] for r in cabal_rows]


@settings(max_examples=200, deadline=None)
@given(case=cabal_cases())
def test_a_minority_cannot_move_incentive_where_the_majority_agrees(
    case: tuple[list[int], list[float], list[list[float]]],
) -> None:
    stakes, shared, cabal_rows = case
    n_cabal = len(cabal_rows)
    n_honest = len(stakes) - n_cabal
    colluding = yuma_epoch(stakes, [shared] * n_honest + cabal_rows, None, YumaParams())
    fair = yuma_epoch(stakes, [shared] * len(stakes), None, YumaParams())
    np.testing.assert_allclose(colluding.incentive, fair.incentive, rtol=0, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(case=cabal_cases(), own=st.lists(st.lists(st.integers(0, 65535), min_size=8, max_size=8), min_size=4))
def test_a_minority_moves_consensus_only_within_the_majoritys_own_weights(
    case: tuple[list[int], list[float], list[list[float]]], own: list[list[int]]
) -> None:
    # honest validators disagree (each its own weights); the cabal reports anything
    stakes, _, cabal_rows = case
    n_miners = len(cabal_rows[0])
    n_honest = len(stakes) - len(cabal_rows)  # at most 4, so `own` has a row for each
    honest = np.array([r[:n_miners] for r in own[:n_honest]], dtype=np.float64)
    result = yuma_epoch(stakes, [*honest.tolist(), *cabal_rows], None, YumaParams())
    sums = honest.sum(axis=1, keepdims=True)
    rows = np.divide(honest, sums, out=np.zeros_like(honest), where=sums > 0)
    assert np.all(result.consensus >= rows.min(axis=0) - 1e-15)
    assert np.all(result.consensus <= rows.max(axis=0) + 1e-15)


def test_scores_become_uint16_weights_and_bad_scores_are_refused() -> None:
    assert weights_from_scores([0.5, 1.0, 0.0]) == [32768, 65535, 0]
    assert weights_from_scores([0.0, 0.0]) == [0, 0]
    with pytest.raises(InputError, match="miner 1"):
        weights_from_scores([1.0, float("nan")])
    with pytest.raises(InputError, match="miner 0"):
        weights_from_scores([-1.0])


def test_validators_scores_are_a_moving_average_of_each_rounds_shares() -> None:
    first = smooth_scores(None, [2.0, 2.0, 0.0], 0.25)
    assert first == [0.5, 0.5, 0.0]
    assert smooth_scores(first, [0.0, 3.0, 1.0], 0.25) == [0.375, 0.5625, 0.0625]
    assert smooth_scores(first, [0.0, 0.0, 0.0], 1.0) == [0.0, 0.0, 0.0]
    with pytest.raises(InputError, match=r"rate must be in \(0, 1\], not 0"):
        smooth_scores(None, [1.0], 0)
    with pytest.raises(InputError, match="2 scores for 3 miners"):
        smooth_scores(first, [1.0, 1.0], 0.5)
