"""Uniswap v3 position and swap math in exact integers, matching the deployed contracts.

Every function here follows the integer arithmetic (and rounding direction) of the v3-core
libraries ``TickMath``, ``SqrtPriceMath``, ``SwapMath``, ``FullMath`` and the periphery's
``LiquidityAmounts``, so a result equals what the pool computes on chain to the last wei;
``tests/integration/test_defi_v3math.py`` checks that with hypothesis against the real pool.

:class:`PoolState` is a pool's state read from chain (or built by hand); :func:`simulate_swap`
runs the pool's swap loop over it, including crossing initialized ticks, and
:func:`fees_owed` computes a position's uncollected fees the way ``Position.update`` does.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace

from aiweb3.errors import InputError

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "Q96",
    "Q128",
    "PoolState",
    "SwapResult",
    "TickInfo",
    "amounts_for_liquidity",
    "fee_growth_inside",
    "fees_owed",
    "get_amount0_delta",
    "get_amount1_delta",
    "liquidity_for_amounts",
    "price_to_tick",
    "simulate_swap",
    "sqrt_price_to_price",
    "sqrt_ratio_at_tick",
    "tick_at_sqrt_ratio",
    "tick_to_price",
]

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
Q96 = 1 << 96
Q128 = 1 << 128
_U256 = 1 << 256
_U160 = 1 << 160
_FEE_DENOMINATOR = 1_000_000

# TickMath's constants: 2**128 / sqrt(1.0001) ** (2**i), for bits 1..19 of |tick|.
_TICK_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)


def _mul_div(a: int, b: int, d: int) -> int:
    result = a * b // d
    if result >= _U256:
        raise InputError("mulDiv overflows uint256 (amounts too large for the pool)")
    return result


def _mul_div_up(a: int, b: int, d: int) -> int:
    return _mul_div(a, b, d) + (1 if (a * b) % d else 0)


def _div_up(a: int, b: int) -> int:
    return -(-a // b)


def sqrt_ratio_at_tick(tick: int) -> int:
    """``TickMath.getSqrtRatioAtTick``: sqrt(1.0001 ** tick) as a Q64.96 number, rounded up."""
    if not MIN_TICK <= tick <= MAX_TICK:
        raise InputError(f"tick {tick} is outside [{MIN_TICK}, {MAX_TICK}]")
    abs_tick = abs(tick)
    ratio = 0xFFFCB933BD6FAD37AA2D162D1A594001 if abs_tick & 1 else 1 << 128
    for bit, factor in _TICK_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = (_U256 - 1) // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


def tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """``TickMath.getTickAtSqrtRatio``: the greatest tick whose sqrt ratio is <= the price."""
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise InputError(f"sqrt price {sqrt_price_x96} is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")
    lo, hi = MIN_TICK, MAX_TICK
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sqrt_ratio_at_tick(mid) <= sqrt_price_x96:
            lo = mid
        else:
            hi = mid - 1
    return lo


def sqrt_price_to_price(sqrt_price_x96: int) -> float:
    """token1 per token0 (raw units) at a Q64.96 square-root price."""
    return (sqrt_price_x96 / Q96) ** 2


def tick_to_price(tick: int) -> float:
    """token1 per token0 (raw units) at ``tick``: 1.0001 ** tick."""
    return float(1.0001**tick)


def price_to_tick(price: float) -> int:
    """The tick whose price is nearest below ``price`` (token1 per token0, raw units)."""
    if price <= 0:
        raise InputError(f"price must be positive, got {price}")
    from math import floor, log

    return max(MIN_TICK, min(MAX_TICK, floor(log(price) / log(1.0001))))


# -- SqrtPriceMath ---------------------------------------------------------------
def get_amount0_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """``SqrtPriceMath.getAmount0Delta``: token0 between two prices for ``liquidity``."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    numerator1 = liquidity << 96
    numerator2 = sqrt_b - sqrt_a
    if round_up:
        return _div_up(_mul_div_up(numerator1, numerator2, sqrt_b), sqrt_a)
    return _mul_div(numerator1, numerator2, sqrt_b) // sqrt_a


def get_amount1_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """``SqrtPriceMath.getAmount1Delta``: token1 between two prices for ``liquidity``."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if round_up:
        return _mul_div_up(liquidity, sqrt_b - sqrt_a, Q96)
    return _mul_div(liquidity, sqrt_b - sqrt_a, Q96)


def _next_from_amount0(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    if amount == 0:
        return sqrt_p
    numerator1 = liquidity << 96
    product = amount * sqrt_p
    if add:
        if product < _U256 and numerator1 + product < _U256:
            return _mul_div_up(numerator1, sqrt_p, numerator1 + product)
        return _div_up(numerator1, numerator1 // sqrt_p + amount)
    if product >= _U256 or numerator1 <= product:
        raise InputError("swap output exceeds the pool's token0 reserves in range")
    result = _mul_div_up(numerator1, sqrt_p, numerator1 - product)
    if result >= _U160:
        raise InputError("price overflows uint160")
    return result


def _next_from_amount1(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    if add:
        result = sqrt_p + (amount << 96) // liquidity
        if result >= _U160:
            raise InputError("price overflows uint160")
        return result
    quotient = _div_up(amount << 96, liquidity)
    if sqrt_p <= quotient:
        raise InputError("swap output exceeds the pool's token1 reserves in range")
    return sqrt_p - quotient


def _next_from_input(sqrt_p: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    if zero_for_one:
        return _next_from_amount0(sqrt_p, liquidity, amount_in, True)
    return _next_from_amount1(sqrt_p, liquidity, amount_in, True)


def _next_from_output(sqrt_p: int, liquidity: int, amount_out: int, zero_for_one: bool) -> int:
    if zero_for_one:
        return _next_from_amount1(sqrt_p, liquidity, amount_out, False)
    return _next_from_amount0(sqrt_p, liquidity, amount_out, False)


def _swap_step(
    current: int, target: int, liquidity: int, remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """``SwapMath.computeSwapStep`` -> (next sqrt price, amount in, amount out, fee)."""
    zero_for_one = current >= target
    exact_in = remaining >= 0
    amount_in = amount_out = 0
    if exact_in:
        less_fee = _mul_div(remaining, _FEE_DENOMINATOR - fee_pips, _FEE_DENOMINATOR)
        if zero_for_one:
            amount_in = get_amount0_delta(target, current, liquidity, True)
        else:
            amount_in = get_amount1_delta(current, target, liquidity, True)
        nxt = (
            target if less_fee >= amount_in else _next_from_input(current, liquidity, less_fee, zero_for_one)
        )
    else:
        if zero_for_one:
            amount_out = get_amount1_delta(target, current, liquidity, False)
        else:
            amount_out = get_amount0_delta(current, target, liquidity, False)
        nxt = (
            target
            if -remaining >= amount_out
            else _next_from_output(current, liquidity, -remaining, zero_for_one)
        )
    at_max = nxt == target
    if zero_for_one:
        if not (at_max and exact_in):
            amount_in = get_amount0_delta(nxt, current, liquidity, True)
        if not (at_max and not exact_in):
            amount_out = get_amount1_delta(nxt, current, liquidity, False)
    else:
        if not (at_max and exact_in):
            amount_in = get_amount1_delta(current, nxt, liquidity, True)
        if not (at_max and not exact_in):
            amount_out = get_amount0_delta(current, nxt, liquidity, False)
    if not exact_in and amount_out > -remaining:
        amount_out = -remaining
    if exact_in and nxt != target:
        fee = remaining - amount_in
    else:
        fee = _mul_div_up(amount_in, fee_pips, _FEE_DENOMINATOR - fee_pips)
    return nxt, amount_in, amount_out, fee


# -- LiquidityAmounts (periphery) and the pool's mint amounts ---------------------------
def liquidity_for_amounts(sqrt_price: int, sqrt_a: int, sqrt_b: int, amount0: int, amount1: int) -> int:
    """``LiquidityAmounts.getLiquidityForAmounts``: the most liquidity the amounts can buy."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a

    def for0(a: int, b: int) -> int:
        return _mul_div(amount0, _mul_div(a, b, Q96), b - a)

    def for1(a: int, b: int) -> int:
        return _mul_div(amount1, Q96, b - a)

    if sqrt_price <= sqrt_a:
        liquidity = for0(sqrt_a, sqrt_b)
    elif sqrt_price < sqrt_b:
        liquidity = min(for0(sqrt_price, sqrt_b), for1(sqrt_a, sqrt_price))
    else:
        liquidity = for1(sqrt_a, sqrt_b)
    if liquidity >= 1 << 128:
        raise InputError("liquidity overflows uint128; use smaller amounts")
    return liquidity


def amounts_for_liquidity(
    sqrt_price: int, tick: int, tick_lower: int, tick_upper: int, liquidity: int, *, round_up: bool = True
) -> tuple[int, int]:
    """Token amounts a position of ``liquidity`` holds (``round_up``: what ``mint`` charges;
    otherwise what ``burn`` returns), decided on the pool's current ``tick`` as the pool does."""
    lower, upper = sqrt_ratio_at_tick(tick_lower), sqrt_ratio_at_tick(tick_upper)
    if tick < tick_lower:
        return get_amount0_delta(lower, upper, liquidity, round_up), 0
    if tick < tick_upper:
        return (
            get_amount0_delta(sqrt_price, upper, liquidity, round_up),
            get_amount1_delta(lower, sqrt_price, liquidity, round_up),
        )
    return 0, get_amount1_delta(lower, upper, liquidity, round_up)


# -- pool state, swaps and fees ------------------------------------------------------------
@dataclass(frozen=True)
class TickInfo:
    """An initialized tick: net liquidity change when crossed upward, fee growth outside."""

    liquidity_net: int
    fee_growth_outside0: int = 0
    fee_growth_outside1: int = 0


@dataclass(frozen=True)
class PoolState:
    """The part of a v3 pool's state a swap reads and writes."""

    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee: int
    tick_spacing: int
    fee_growth_global0: int = 0
    fee_growth_global1: int = 0
    ticks: dict[int, TickInfo] = field(default_factory=dict)

    def _next_initialized(self, tick: int, lte: bool) -> tuple[int, bool]:
        """``TickBitmap.nextInitializedTickWithinOneWord`` over the known initialized ticks."""
        spacing = self.tick_spacing
        compressed = tick // spacing
        initialized = sorted(t // spacing for t in self.ticks)
        if lte:
            word_start = (compressed >> 8) << 8
            i = bisect.bisect_right(initialized, compressed) - 1
            if i >= 0 and initialized[i] >= word_start:
                return initialized[i] * spacing, True
            return word_start * spacing, False
        start = compressed + 1
        word_end = ((start >> 8) << 8) + 255
        i = bisect.bisect_left(initialized, start)
        if i < len(initialized) and initialized[i] <= word_end:
            return initialized[i] * spacing, True
        return word_end * spacing, False


@dataclass(frozen=True)
class SwapResult:
    """What a swap moved (pool's view: positive into the pool) and the pool state after it."""

    amount0: int
    amount1: int
    state: PoolState


def simulate_swap(
    state: PoolState, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
) -> SwapResult:
    """``UniswapV3Pool.swap`` without transfers or oracle writes (protocol fee off).

    ``amount_specified`` > 0 is an exact input, < 0 an exact output, as in the pool.
    """
    if amount_specified == 0:
        raise InputError("swap amount must not be zero")
    limit = sqrt_price_limit_x96
    if limit is None:
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    if zero_for_one and not MIN_SQRT_RATIO < limit < state.sqrt_price_x96:
        raise InputError("price limit must be below the current price for a token0 -> token1 swap")
    if not zero_for_one and not state.sqrt_price_x96 < limit < MAX_SQRT_RATIO:
        raise InputError("price limit must be above the current price for a token1 -> token0 swap")
    exact_in = amount_specified > 0
    remaining, calculated = amount_specified, 0
    sqrt_p, tick, liquidity = state.sqrt_price_x96, state.tick, state.liquidity
    growth = state.fee_growth_global0 if zero_for_one else state.fee_growth_global1
    ticks = dict(state.ticks)
    while remaining != 0 and sqrt_p != limit:
        start = sqrt_p
        tick_next, initialized = state._next_initialized(tick, zero_for_one)
        tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
        sqrt_next = sqrt_ratio_at_tick(tick_next)
        beyond = sqrt_next < limit if zero_for_one else sqrt_next > limit
        sqrt_p, amount_in, amount_out, fee = _swap_step(
            sqrt_p, limit if beyond else sqrt_next, liquidity, remaining, state.fee
        )
        if exact_in:
            remaining -= amount_in + fee
            calculated -= amount_out
        else:
            remaining += amount_out
            calculated += amount_in + fee
        if liquidity > 0:
            growth = (growth + _mul_div(fee, Q128, liquidity)) % _U256
        if sqrt_p == sqrt_next:
            if initialized:
                info = ticks[tick_next]
                g0 = growth if zero_for_one else state.fee_growth_global0
                g1 = state.fee_growth_global1 if zero_for_one else growth
                ticks[tick_next] = replace(
                    info,
                    fee_growth_outside0=(g0 - info.fee_growth_outside0) % _U256,
                    fee_growth_outside1=(g1 - info.fee_growth_outside1) % _U256,
                )
                liquidity += -info.liquidity_net if zero_for_one else info.liquidity_net
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_p != start:
            tick = tick_at_sqrt_ratio(sqrt_p)
    specified_used = amount_specified - remaining
    if zero_for_one == exact_in:
        amount0, amount1 = specified_used, calculated
    else:
        amount0, amount1 = calculated, specified_used
    after = replace(
        state,
        sqrt_price_x96=sqrt_p,
        tick=tick,
        liquidity=liquidity,
        fee_growth_global0=growth if zero_for_one else state.fee_growth_global0,
        fee_growth_global1=state.fee_growth_global1 if zero_for_one else growth,
        ticks=ticks,
    )
    return SwapResult(amount0, amount1, after)


def fee_growth_inside(state: PoolState, tick_lower: int, tick_upper: int) -> tuple[int, int]:
    """``Tick.getFeeGrowthInside``: fee growth per unit of liquidity inside a range (Q128)."""
    lower = state.ticks.get(tick_lower, TickInfo(0))
    upper = state.ticks.get(tick_upper, TickInfo(0))
    out: list[int] = []
    for g, lo, hi in (
        (state.fee_growth_global0, lower.fee_growth_outside0, upper.fee_growth_outside0),
        (state.fee_growth_global1, lower.fee_growth_outside1, upper.fee_growth_outside1),
    ):
        below = lo if state.tick >= tick_lower else g - lo
        above = hi if state.tick < tick_upper else g - hi
        out.append((g - below - above) % _U256)
    return out[0], out[1]


def fees_owed(
    state: PoolState, tick_lower: int, tick_upper: int, liquidity: int, inside_last: tuple[int, int]
) -> tuple[int, int]:
    """Fees a position has earned since its ``inside_last`` fee growth (``Position.update``)."""
    inside = fee_growth_inside(state, tick_lower, tick_upper)
    return (
        _mul_div((inside[0] - inside_last[0]) % _U256, liquidity, Q128) % (1 << 128),
        _mul_div((inside[1] - inside_last[1]) % _U256, liquidity, Q128) % (1 << 128),
    )
