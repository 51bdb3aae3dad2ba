"""A market to test liquidity strategies in: price paths and traders swapping on the real pool.

Price paths are geometric Brownian motion or Merton jump-diffusion, with volatility (and jumps)
fitted to an offline price history — the BTCUSD, EURUSD and GOOG series the ``backtesting``
package ships. Traders are an arbitrageur, who moves the pool's price to the edge of the no-arbitrage
band around the external price, and noise traders with random sides and sizes. Every trade is a
real ``exactInputSingle`` swap through the SwapRouter; a block of steps is predicted exactly with
:func:`aiweb3.defi.v3math.simulate_swap` (so each swap gets a tight slippage limit and the
arbitrage its exact size) and sent as one :meth:`Chain.bulk_send`. Everything is seeded.
"""

from __future__ import annotations

import csv
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, TxRequest
from aiweb3.defi.uniswap import LocalMarket, swap_request
from aiweb3.defi.v3math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, PoolState, simulate_swap
from aiweb3.errors import ChainError, InputError

__all__ = [
    "HISTORIES",
    "MarketConfig",
    "MarketSimulator",
    "PriceModel",
    "StepsReport",
    "fit_price_model",
    "load_history",
    "price_path",
]

#: offline price histories (``backtesting`` package data): name -> bar length in hours
HISTORIES = {"BTCUSD": 24 * 30.4, "EURUSD": 1.0, "GOOG": 24.0}
#: slippage tolerance on every simulated swap beyond the exact prediction (parts per million)
SLIPPAGE_PPM = 1_000


def load_history(name: str = "BTCUSD") -> list[float]:
    """Closing prices of one of :data:`HISTORIES`, oldest first (read from the package's CSV)."""
    if name not in HISTORIES:
        raise InputError(f"unknown price history {name!r}; use one of {', '.join(HISTORIES)}")
    spec = importlib.util.find_spec("backtesting")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the `backtesting` package is missing; run `make setup`")
    path = Path(next(iter(spec.submodule_search_locations))) / "test" / f"{name}.csv"
    with path.open(newline="") as f:
        return [float(row["Close"]) for row in csv.DictReader(f)]


@dataclass(frozen=True)
class PriceModel:
    """Log-price dynamics per step: drift, diffusion volatility and Poisson jumps (Merton)."""

    sigma: float
    mu: float = 0.0
    jump_rate: float = 0.0
    jump_mean: float = 0.0
    jump_std: float = 0.0

    @property
    def kind(self) -> str:
        """``gbm`` or ``jump``."""
        return "jump" if self.jump_rate > 0 else "gbm"


def fit_price_model(closes: Sequence[float], steps_per_bar: float, *, jumps: bool = False) -> PriceModel:
    """Fit per-step volatility (and jumps: returns beyond 3 standard deviations, found
    iteratively) to a history with ``steps_per_bar`` simulation steps per bar. Drift is set to
    zero: a few years of one asset do not estimate it."""
    if len(closes) < 10 or min(closes) <= 0:
        raise InputError("a price history needs at least 10 positive prices")
    if steps_per_bar <= 0:
        raise InputError("steps_per_bar must be positive")
    r = np.diff(np.log(np.asarray(closes, dtype=float)))
    if not jumps:
        return PriceModel(sigma=float(r.std(ddof=1)) / math.sqrt(steps_per_bar))
    normal = np.ones(len(r), dtype=bool)
    for _ in range(10):
        m, s = r[normal].mean(), r[normal].std(ddof=1)
        now = np.abs(r - m) <= 3 * s
        if (now == normal).all():
            break
        normal = now
    jumped = r[~normal]
    if len(jumped) == 0:
        return PriceModel(sigma=float(r.std(ddof=1)) / math.sqrt(steps_per_bar))
    return PriceModel(
        sigma=float(r[normal].std(ddof=1)) / math.sqrt(steps_per_bar),
        jump_rate=len(jumped) / len(r) / steps_per_bar,
        jump_mean=float(jumped.mean()),
        jump_std=float(jumped.std(ddof=1)) if len(jumped) > 1 else 0.0,
    )


def price_path(model: PriceModel, steps: int, start: float, seed: int) -> np.ndarray:
    """``steps + 1`` prices from ``start`` (seeded, reproducible): exact GBM steps plus jumps.

    The diffusion is compensated (``mu - sigma**2/2``) so the price is a martingale when mu = 0.
    """
    if steps < 1 or not start > 0:
        raise InputError("a price path needs at least one step and a positive start price")
    rng = np.random.default_rng(seed)
    log_steps = (model.mu - model.sigma**2 / 2) + model.sigma * rng.standard_normal(steps)
    if model.jump_rate > 0:
        counts = rng.poisson(model.jump_rate, steps)
        log_steps += counts * model.jump_mean + np.sqrt(counts) * model.jump_std * rng.standard_normal(steps)
    return np.asarray(start * np.exp(np.concatenate([[0.0], np.cumsum(log_steps)])))


@dataclass(frozen=True)
class MarketConfig:
    """Who trades each step: noise traders (Poisson count, log-normal size as a fraction of the
    base token in the pool's active liquidity) and the arbitrageur."""

    noise_per_step: float = 2.0
    noise_size: float = 0.002
    arbitrage: bool = True
    step_seconds: int = 3600


@dataclass
class StepsReport:
    """What a run of steps did: swaps sent, their gas, wall time, and the pool's volume."""

    swaps: int = 0
    gas: int = 0
    seconds: float = 0.0
    volume_quote: float = 0.0
    prices: list[float] = field(default_factory=list)


class MarketSimulator:
    """Noise traders and an arbitrageur on a real pool, all swaps from one funded ``trader``.

    Args:
        chain: the chain client.
        market: the pool and its tokens (:func:`aiweb3.defi.defi_up`).
        trader: the account every swap is sent from (holds and has approved the router).
        config: trader behaviour.
        seed: seeds the noise traders (paths are seeded separately).
    """

    def __init__(
        self, chain: Chain, market: LocalMarket, trader: LocalAccount, config: MarketConfig, seed: int
    ) -> None:
        self.chain = chain
        self.market = market
        self.trader = trader
        self.config = config
        self.rng = np.random.default_rng(seed + 1_000_003)

    def _pool_price(self, state: PoolState) -> float:
        p = (state.sqrt_price_x96 / 2**96) ** 2
        return p if self.market.base_is_token0 else 1 / p

    def _target_sqrt(self, price: float) -> int:
        raw = price if self.market.base_is_token0 else 1 / price
        sqrt = int(math.sqrt(raw) * 2**96)
        return max(MIN_SQRT_RATIO + 1, min(MAX_SQRT_RATIO - 1, sqrt))

    def _plan_swap(
        self, state: PoolState, zero_for_one: bool, amount: int, limit: int | None = None
    ) -> tuple[TxRequest, PoolState, int] | None:
        try:
            result = simulate_swap(state, zero_for_one, amount, limit)
            used_in = result.amount0 if zero_for_one else result.amount1
            if limit is not None and used_in > 0:
                # the router is sent exactly the input used, stopped at the same limit
                result = simulate_swap(state, zero_for_one, used_in, limit)
                used_in = result.amount0 if zero_for_one else result.amount1
        except InputError:
            return None
        out = -(result.amount1 if zero_for_one else result.amount0)
        if used_in <= 0 or out <= 0:
            return None
        req = swap_request(
            self.chain,
            self.market.uni,
            self.market.pool,
            self.trader.address,
            zero_for_one=zero_for_one,
            amount_in=used_in,
            min_out=out * (1_000_000 - SLIPPAGE_PPM) // 1_000_000,
            sqrt_price_limit_x96=limit or 0,
        )
        quote_in = used_in if zero_for_one != self.market.base_is_token0 else out
        return req, result.state, quote_in

    def plan(self, state: PoolState, prices: Sequence[float]) -> tuple[list[TxRequest], PoolState, float]:
        """Swaps for one step per external price, predicted exactly from ``state``."""
        requests: list[TxRequest] = []
        volume = 0
        fee = state.fee / 1_000_000
        base_in_range = self.config.noise_size * state.liquidity * 2**96 / max(state.sqrt_price_x96, 1)
        if not self.market.base_is_token0:
            base_in_range = self.config.noise_size * state.liquidity * state.sqrt_price_x96 / 2**96
        for external in prices:
            for _ in range(int(self.rng.poisson(self.config.noise_per_step))):
                buy_base = bool(self.rng.random() < 0.5)
                base_amount = base_in_range * float(self.rng.lognormal(0.0, 1.0))
                pool_price = self._pool_price(state)
                # paying in the quote token when buying base: its value at the pool price
                amount = int(base_amount * pool_price) if buy_base else int(base_amount)
                zero_for_one = buy_base != self.market.base_is_token0
                planned = self._plan_swap(state, zero_for_one, max(amount, 1))
                if planned:
                    requests.append(planned[0])
                    state, volume = planned[1], volume + planned[2]
            if self.config.arbitrage:
                pool_price = self._pool_price(state)
                target = None
                if pool_price < external * (1 - fee):
                    target, buy_base = external * (1 - fee), True
                elif pool_price > external * (1 + fee):
                    target, buy_base = external * (1 + fee), False
                if target is not None:
                    zero_for_one = buy_base != self.market.base_is_token0
                    planned = self._plan_swap(state, zero_for_one, 2**200, self._target_sqrt(target))
                    if planned:
                        requests.append(planned[0])
                        state, volume = planned[1], volume + planned[2]
        return requests, state, volume / 10**18

    def run(self, prices: Sequence[float], *, batch_steps: int = 24) -> StepsReport:
        """Advance the chain's clock one step per price and send each block of ``batch_steps``
        steps' swaps as one bulk send; checks the pool ends where the prediction said."""
        report = StepsReport()
        for start in range(0, len(prices), batch_steps):
            chunk = list(prices[start : start + batch_steps])
            self.chain.rpc("evm_increaseTime", [self.config.step_seconds * len(chunk)])
            state = self.market.pool.state()
            requests, predicted, volume = self.plan(state, chunk)
            if requests:
                result = self.chain.bulk_send(self.trader, requests, gas=400_000)
                result.raise_on_failure()
                report.swaps += len(requests)
                report.seconds += result.seconds
                report.gas += sum(int(r["gasUsed"]) for r in result.receipts)
            else:
                self.chain.rpc("evm_mine", [])
            if self.market.pool.slot0()[0] != predicted.sqrt_price_x96:
                raise ChainError("the pool moved differently than predicted: someone else traded on it")
            report.volume_quote += volume
            report.prices.append(self._pool_price(predicted))
        return report
