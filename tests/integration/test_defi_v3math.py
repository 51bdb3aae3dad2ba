"""The Python v3 math equals the real Uniswap v3 contracts, checked with hypothesis on the node.

The pool, position manager and router are the npm packages' compiled artifacts. Each example
predicts in Python what the contracts will do (liquidity and amounts of a mint, a swap's
amounts and the pool state after it, fees a position collects) and then does it on chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiweb3.chain import Chain, artifact
from aiweb3.defi import (
    LocalMarket,
    amounts_for_liquidity,
    approve_max,
    defi_up,
    fees_owed,
    liquidity_for_amounts,
    mint_position,
    mint_tokens,
    simulate_swap,
    sqrt_ratio_at_tick,
    swap_exact_input,
    tick_at_sqrt_ratio,
)

EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
UNIT = 10**18


@pytest.fixture(scope="module")
def market(chain: Chain, deployer: LocalAccount, module_home: Path) -> LocalMarket:
    return defi_up(chain, deployer, module_home)


@pytest.fixture(scope="module")
def trader(chain: Chain, market: LocalMarket, accounts: list[LocalAccount]) -> LocalAccount:
    who = accounts[0]
    for token in (market.base.address, market.quote.address):
        mint_tokens(chain, who, token, who.address, 10**12 * UNIT)
        approve_max(chain, who, token, market.uni.router)
        approve_max(chain, who, token, market.uni.position_manager)
    return who


@pytest.fixture(scope="module")
def ladder(chain: Chain, market: LocalMarket, trader: LocalAccount) -> None:
    """Narrow positions around the price, so swaps cross initialized ticks."""
    spacing = market.pool.tick_spacing
    centre = market.pool.slot0()[1] // spacing
    for k in range(1, 40, 3):
        lower, upper = (centre - k) * spacing, (centre + k // 2 + 1) * spacing
        mint_position(chain, trader, market.uni, market.pool, lower, upper, 100 * UNIT, 200_000 * UNIT)


def test_defi_up_deploys_the_npm_build_and_is_idempotent(
    chain: Chain, deployer: LocalAccount, module_home: Path, market: LocalMarket
) -> None:
    # the pool build is the one the periphery's PoolAddress library derives addresses from
    pool_init = keccak(hexstr=artifact("UniswapV3Pool").bytecode).hex()
    assert pool_init == "e34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
    assert chain.call(market.pool.contract.functions.factory()) == market.uni.factory
    assert market.seed is not None and market.seed.liquidity > 0
    assert abs(market.base_price() / 2000.0 - 1) < 1e-9
    again = defi_up(chain, deployer, module_home)
    assert again.uni == market.uni and again.pool.address == market.pool.address
    assert again.seed is None  # the pool already had liquidity: nothing minted twice


def test_tick_bounds_equal_the_contract_constants() -> None:
    assert sqrt_ratio_at_tick(-887272) == 4295128739
    assert sqrt_ratio_at_tick(887272) == 1461446703485210103287273052203988822378723970342
    assert tick_at_sqrt_ratio(4295128739) == -887272
    assert sqrt_ratio_at_tick(0) == 2**96


@EXAMPLES
@given(
    lower=st.integers(-300, 300),
    width=st.integers(1, 400),
    amount0=st.integers(1, 10**6).map(lambda x: x * 10**15),
    amount1=st.integers(1, 10**6).map(lambda x: x * 10**18),
)
def test_mint_liquidity_and_amounts_match_the_position_manager(
    chain: Chain,
    market: LocalMarket,
    trader: LocalAccount,
    lower: int,
    width: int,
    amount0: int,
    amount1: int,
) -> None:
    pool = market.pool
    state = pool.state()
    spacing = pool.tick_spacing
    tick_lower = (state.tick // spacing + lower) * spacing
    tick_upper = tick_lower + width * spacing
    expected_l = liquidity_for_amounts(
        state.sqrt_price_x96, sqrt_ratio_at_tick(tick_lower), sqrt_ratio_at_tick(tick_upper), amount0, amount1
    )
    if expected_l == 0:
        return  # the manager refuses zero liquidity; nothing to compare
    expected = amounts_for_liquidity(state.sqrt_price_x96, state.tick, tick_lower, tick_upper, expected_l)
    pos = mint_position(chain, trader, market.uni, pool, tick_lower, tick_upper, amount0, amount1)
    assert (pos.liquidity, pos.amount0, pos.amount1) == (expected_l, *expected)


@EXAMPLES
@given(
    zero_for_one=st.booleans(),
    amount=st.tuples(st.integers(1, 999), st.integers(12, 18)).map(lambda t: t[0] * 10 ** t[1]),
)
def test_swaps_match_the_simulated_pool(
    chain: Chain, market: LocalMarket, trader: LocalAccount, ladder: None, zero_for_one: bool, amount: int
) -> None:
    pool = market.pool
    before = pool.state()
    centre = -76013 if not market.base_is_token0 else 76012  # 2000 TUSD per TETH
    if abs(before.tick - centre) > 3000:  # keep the walk near the ladder of positions
        zero_for_one = before.tick > centre
    if zero_for_one != market.base_is_token0:
        amount *= 2000  # amount is in TETH; the quote token pays about 2000 times as many units
    predicted = simulate_swap(before, zero_for_one, amount)
    amounts = swap_exact_input(
        chain, trader, market.uni, pool, zero_for_one=zero_for_one, amount_in=amount, min_out=0
    )
    after = pool.state()
    assert amounts == (predicted.amount0, predicted.amount1)
    assert after.sqrt_price_x96 == predicted.state.sqrt_price_x96
    assert after.tick == predicted.state.tick == tick_at_sqrt_ratio(after.sqrt_price_x96)
    assert after.liquidity == predicted.state.liquidity
    assert (after.fee_growth_global0, after.fee_growth_global1) == (
        predicted.state.fee_growth_global0,
        predicted.state.fee_growth_global1,
    )
    assert after.ticks == predicted.state.ticks


def test_fees_owed_match_what_collect_pays(chain: Chain, market: LocalMarket, trader: LocalAccount) -> None:
    pool, manager = market.pool, market.uni.manager_contract(chain)
    tick = pool.slot0()[1]
    spacing = pool.tick_spacing
    lower, upper = (tick // spacing - 5) * spacing, (tick // spacing + 5) * spacing
    pos = mint_position(chain, trader, market.uni, pool, lower, upper, 10 * UNIT, 20_000 * UNIT)
    for zero_for_one, amount in ((True, 3 * UNIT), (False, 7_000 * UNIT), (True, 2 * UNIT)):
        swap_exact_input(
            chain, trader, market.uni, pool, zero_for_one=zero_for_one, amount_in=amount, min_out=0
        )
    info = chain.call(manager.functions.positions(pos.token_id))
    liquidity, inside0, inside1, owed0, owed1 = (int(v) for v in info[7:12])
    earned = fees_owed(pool.state(), lower, upper, liquidity, (inside0, inside1))
    assert earned[0] > 0 and earned[1] > 0
    max128 = 2**128 - 1
    receipt = chain.transact(
        trader, manager.functions.collect((pos.token_id, trader.address, max128, max128))
    )
    collected = chain.events(manager, "Collect", receipt)[0]
    assert (int(collected["amount0"]), int(collected["amount1"])) == (owed0 + earned[0], owed1 + earned[1])
