"""Backtests of the structured vault on the real pool and a real LendingMarket, on held-out seeds.

Every strategy runs the same StructuredVault contract on the same price path, noise traders and
lending market (other lenders supply, a borrower borrows to a utilisation drawn from the seed),
from the same chain snapshot; each epoch the vault unwinds and splits its value again:

- ``lending``: all of it lent (the keeper allocates 0%);
- ``lp``: all of it in a full-range position (100%);
- ``split``: a fixed 50/50;
- ``ai``: the proven vault — the allocation model's output, every epoch carrying a proof the
  vault verifies through the ModelRegistry on inputs it recomputes from chain state.

The net result is the withdrawn value over holding the deposit, before and after the allocation
gas. Seeds from :data:`HELD_OUT_SEED0` on were never used in training.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.defi.backtest import HELD_OUT_SEED0, default_price_model
from aiweb3.defi.lending import WAD, LendingMarket, deploy_market, deploy_twap_oracle
from aiweb3.defi.market import MarketConfig, MarketSimulator, PriceModel
from aiweb3.defi.market import price_path as make_path
from aiweb3.defi.structured import AllocationKeeper, StructuredConfig, StructuredVault
from aiweb3.defi.structured_model import TRAINING_SEEDS, AllocationConfig
from aiweb3.defi.uniswap import LocalMarket, mint_tokens
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.zkml import CompiledModel

__all__ = [
    "STRUCTURED_STRATEGIES",
    "StructuredBacktestConfig",
    "StructuredRun",
    "run_structured_backtest",
    "seed_utilisation",
    "summarize_structured",
]

STRUCTURED_STRATEGIES = ("lending", "lp", "split", "ai")
_FIXED_BPS = {"lending": 0, "lp": 10_000, "split": 5_000}
UNIT = 10**18


@dataclass(frozen=True)
class StructuredBacktestConfig:
    """Run length, deposit, gas price, the market's other lenders (quote tokens) and traders."""

    steps: int = 24 * 7
    deposit_base: float = 10.0
    gas_price_gwei: float = 20.0
    market_supply: float = 1_000_000.0
    allocation: AllocationConfig = field(default_factory=AllocationConfig)
    market: MarketConfig = field(default_factory=MarketConfig)


@dataclass
class StructuredRun:
    """One strategy on one seed."""

    strategy: str
    seed: int
    utilisation: float
    hold_value: float
    final_value: float
    epochs: int
    gas: int
    gas_cost: float
    prove_seconds: float
    mean_allocation: float

    @property
    def net_vs_hold(self) -> float:
        """Final value over holding the deposit, minus one (before gas)."""
        return self.final_value / self.hold_value - 1

    @property
    def net_after_gas(self) -> float:
        """The same after paying the allocation gas."""
        return (self.final_value - self.gas_cost) / self.hold_value - 1

    def to_json(self) -> dict[str, Any]:
        """As JSON data, with the derived figures."""
        return {**asdict(self), "net_vs_hold": self.net_vs_hold, "net_after_gas": self.net_after_gas}


def seed_utilisation(seed: int) -> float:
    """The lending market's utilisation on this seed's path (drawn from the seed)."""
    return float(np.random.default_rng([seed, 18]).uniform(0.1, 0.9))


def _lending_market(
    chain: Chain, market: LocalMarket, deployer: LocalAccount, lender: LocalAccount,
    borrower: LocalAccount, config: StructuredBacktestConfig, utilisation: float,
) -> LendingMarket:  # fmt: skip
    step = config.market.step_seconds
    oracle = deploy_twap_oracle(chain, deployer, market.pool.address, market.base.address, step)
    lending = deploy_market(chain, deployer, market.base.address, market.quote.address, oracle.address)
    supply = int(config.market_supply * UNIT)
    mint_tokens(chain, lender, market.quote.address, lender.address, supply)
    lending.supply(lender, supply)
    debt = int(supply * utilisation)
    price = int(chain.call(oracle.functions.price()))
    collateral = debt * WAD // price * 2  # borrowed at half the borrow factor: never liquidated here
    mint_tokens(chain, borrower, market.base.address, borrower.address, collateral)
    lending.deposit(borrower, collateral)
    lending.borrow(borrower, debt)
    return lending


def _run_one(
    chain: Chain, market: LocalMarket, accounts: Sequence[LocalAccount], strategy: str, seed: int,
    config: StructuredBacktestConfig, price_model: PriceModel, ai_model: CompiledModel | None,
    registry: str | None,
) -> StructuredRun:  # fmt: skip
    deployer, depositor, trader, lender, borrower = accounts
    alloc = config.allocation
    window, period, step = alloc.window_steps, alloc.epoch_steps, config.market.step_seconds
    warmup = 4 * window + 1
    path = make_path(price_model, warmup + config.steps, market.base_price(), seed)[1:]
    sim = MarketSimulator(chain, market, trader, config.market, seed)
    sim.run(list(path[:warmup]), batch_steps=warmup)
    utilisation = seed_utilisation(seed)
    lending = _lending_market(chain, market, deployer, lender, borrower, config, utilisation)
    vconf = StructuredConfig(twap_window=window * step, epoch_seconds=(period - 1) * step)
    proven = strategy == "ai"
    if proven and (ai_model is None or registry is None):
        raise InputError("the ai strategy needs its compiled, registered model (prepare_allocation_model)")
    vault = StructuredVault.deploy(
        chain, deployer, market.pool, lending, keeper=deployer.address, config=vconf,
        model=ai_model if proven else None, registry=registry if proven else None,
    )  # fmt: skip
    keeper = AllocationKeeper(vault, ai_model, deployer) if proven and ai_model else None
    price = market.base_price()
    base_amount = int(config.deposit_base * UNIT)
    quote_amount = int(config.deposit_base * price * UNIT)
    mint_tokens(chain, depositor, market.base.address, depositor.address, base_amount)
    mint_tokens(chain, depositor, market.quote.address, depositor.address, quote_amount)
    shares, held_quote, held_base = vault.deposit(depositor, quote_amount, base_amount)
    gas, epochs, allocations = 0, 0, []

    def allocate() -> None:
        nonlocal gas, epochs
        try:
            receipt = keeper.allocate() if keeper else vault.allocate(deployer, _FIXED_BPS[strategy])
        except TransactionReverted as exc:
            if exc.error_name == "PriceDeviates":
                return  # the guard holds the epoch back, as on chain
            raise
        gas += int(receipt["gasUsed"])
        epochs += 1
        allocations.append(vault.allocation_bps() / 10_000)

    allocate()
    rest = list(path[warmup:])
    for start in range(0, len(rest), period):
        sim.run(rest[start : start + period], batch_steps=period)
        if start + period < len(rest):
            allocate()
    final_price = market.base_price()
    got_quote, got_base = vault.withdraw(depositor, shares)
    return StructuredRun(
        strategy=strategy,
        seed=seed,
        utilisation=utilisation,
        hold_value=(held_base * final_price + held_quote) / UNIT,
        final_value=(got_base * final_price + got_quote) / UNIT,
        epochs=epochs,
        gas=gas,
        gas_cost=gas * config.gas_price_gwei * 1e-9 * final_price,
        prove_seconds=keeper.prove_seconds if keeper else 0.0,
        mean_allocation=statistics.fmean(allocations) if allocations else 0.0,
    )


def run_structured_backtest(
    chain: Chain,
    market: LocalMarket,
    accounts: Sequence[LocalAccount],
    *,
    strategies: Sequence[str] = STRUCTURED_STRATEGIES,
    seeds: Sequence[int],
    config: StructuredBacktestConfig = StructuredBacktestConfig(),
    price_model: PriceModel | None = None,
    ai_model: CompiledModel | None = None,
    registry: str | None = None,
    on_result: Callable[[StructuredRun], None] | None = None,
) -> list[StructuredRun]:
    """Run each strategy on each seed from the same chain state (snapshot, run, revert).

    ``accounts`` are five distinct funded accounts: deployer (and keeper), depositor, trader
    (funded and approved, see :func:`aiweb3.defi.backtest.fund_trader`), lender and borrower.
    """
    unknown = [s for s in strategies if s not in STRUCTURED_STRATEGIES]
    if unknown:
        raise InputError(f"unknown strategy {unknown[0]!r}; use one of {', '.join(STRUCTURED_STRATEGIES)}")
    if len(accounts) != 5 or len({a.address for a in accounts}) != 5:
        raise InputError("the structured backtest needs five distinct accounts")
    training = [s for s in seeds if s in TRAINING_SEEDS]
    if "ai" in strategies and training:
        raise InputError(
            f"seed {training[0]} was used to train the model; backtest on seeds >= {HELD_OUT_SEED0}"
        )
    model = price_model or default_price_model()
    conf = replace(config, market=replace(config.market, step_seconds=config.allocation.step_seconds))
    results: list[StructuredRun] = []
    for seed in seeds:
        for strategy in strategies:
            snapshot = chain.snapshot()
            try:
                result = _run_one(chain, market, accounts, strategy, seed, conf, model, ai_model, registry)
            finally:
                chain.revert(snapshot)
            results.append(result)
            if on_result:
                on_result(result)
    return results


def summarize_structured(results: Sequence[StructuredRun]) -> dict[str, dict[str, float]]:
    """Medians per strategy: net vs hold before and after gas, gas, epochs, allocation, proving."""
    out: dict[str, dict[str, float]] = {}
    for name in dict.fromkeys(r.strategy for r in results):
        rs = [r for r in results if r.strategy == name]
        out[name] = {
            "runs": float(len(rs)),
            "net_vs_hold": statistics.median(r.net_vs_hold for r in rs),
            "net_after_gas": statistics.median(r.net_after_gas for r in rs),
            "gas": statistics.median(r.gas for r in rs),
            "epochs": statistics.median(r.epochs for r in rs),
            "mean_allocation": statistics.median(r.mean_allocation for r in rs),
            "prove_seconds": statistics.median(r.prove_seconds for r in rs),
        }
    return out
