"""AI for DeFi on real Uniswap v3: deploy, exact position math, market simulation, proven LP vaults.

market = defi_up(chain, deployer, home)        # Uniswap v3 + TETH/TUSD pool, seeded
state = market.pool.state()                     # slot0, liquidity, ticks, fee growth
simulate_swap(state, zero_for_one=True, amount_specified=10**18)   # exact, as the pool
"""

from aiweb3.defi.uniswap import (
    DEFAULT_POOL,
    FEE_TICK_SPACING,
    LocalMarket,
    Pool,
    Position,
    TestTokenInfo,
    UniswapDeployment,
    approve_max,
    create_pool,
    create_test_tokens,
    defi_up,
    deploy_uniswap,
    full_range,
    load_market,
    load_uniswap,
    mint_position,
    mint_tokens,
    price_to_sqrt_price_x96,
    swap_exact_input,
    swap_request,
)
from aiweb3.defi.v3math import (
    PoolState,
    SwapResult,
    TickInfo,
    amounts_for_liquidity,
    fees_owed,
    liquidity_for_amounts,
    simulate_swap,
    sqrt_ratio_at_tick,
    tick_at_sqrt_ratio,
)

__all__ = [
    "DEFAULT_POOL",
    "FEE_TICK_SPACING",
    "LocalMarket",
    "Pool",
    "PoolState",
    "Position",
    "SwapResult",
    "TestTokenInfo",
    "TickInfo",
    "UniswapDeployment",
    "amounts_for_liquidity",
    "approve_max",
    "create_pool",
    "create_test_tokens",
    "defi_up",
    "deploy_uniswap",
    "fees_owed",
    "full_range",
    "liquidity_for_amounts",
    "load_market",
    "load_uniswap",
    "mint_position",
    "mint_tokens",
    "price_to_sqrt_price_x96",
    "simulate_swap",
    "sqrt_ratio_at_tick",
    "swap_exact_input",
    "swap_request",
    "tick_at_sqrt_ratio",
]
