"""Pure properties of the v3 math (the chain checks are in tests/integration/test_defi_v3math.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiweb3.defi.v3math import (
    MAX_TICK,
    MIN_TICK,
    PoolState,
    amounts_for_liquidity,
    liquidity_for_amounts,
    simulate_swap,
    sqrt_ratio_at_tick,
    tick_at_sqrt_ratio,
)
from aiweb3.errors import InputError


@settings(max_examples=25, deadline=None)
@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_tick_and_sqrt_ratio_invert_each_other(tick: int) -> None:
    ratio = sqrt_ratio_at_tick(tick)
    assert tick_at_sqrt_ratio(ratio) == tick
    assert sqrt_ratio_at_tick(tick + 1) > ratio
    if tick > MIN_TICK:
        assert tick_at_sqrt_ratio(ratio - 1) == tick - 1


@settings(max_examples=50, deadline=None)
@given(
    tick=st.integers(-1000, 1000),
    width=st.integers(1, 200),
    amount0=st.integers(1, 10**30),
    amount1=st.integers(1, 10**30),
)
def test_minted_amounts_never_exceed_what_was_offered(
    tick: int, width: int, amount0: int, amount1: int
) -> None:
    lower, upper = -60 * width, 60 * width
    price = sqrt_ratio_at_tick(tick)
    liquidity = liquidity_for_amounts(
        price, sqrt_ratio_at_tick(lower), sqrt_ratio_at_tick(upper), amount0, amount1
    )
    used0, used1 = amounts_for_liquidity(price, tick, lower, upper, liquidity)
    assert used0 <= amount0 and used1 <= amount1


def test_swaps_conserve_value_direction_and_refuse_bad_limits() -> None:
    state = PoolState(sqrt_price_x96=2**96, tick=0, liquidity=10**24, fee=3000, tick_spacing=60)
    result = simulate_swap(state, True, 10**18)
    assert result.amount0 == 10**18 and result.amount1 < 0
    assert result.state.sqrt_price_x96 < state.sqrt_price_x96 and result.state.fee_growth_global0 > 0
    with pytest.raises(InputError, match="price limit"):
        simulate_swap(state, True, 10**18, 2**97)
    with pytest.raises(InputError, match="outside"):
        sqrt_ratio_at_tick(MAX_TICK + 1)
