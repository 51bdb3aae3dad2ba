"""Backtests of LP strategies on the real pool with the simulated market, on held-out seeds.

Every strategy runs through the same LiquidityVault contract on the same price paths and the
same noise traders (seeded), from the same chain snapshot:

- ``passive``: full range once, never touched (no limit order);
- ``fixed``: re-centred every period at a fixed half-width (no limit order);
- ``charm``: Charm Alpha Vault's rules — base order of a fixed half-width, the leftover token as
  a one-sided limit order, a minimum tick move before rebalancing, the TWAP deviation guard;
- ``ai``: the proven vault — Charm's structure and guard, but the base half-width comes from the
  registered strategy model, and every rebalance carries a proof verified on chain.

Results per run: the net result versus holding the deposit (after withdrawal, so fees count),
before and after gas (rebalance gas priced at ``gas_price_gwei`` in the base token), and the
proving time of the AI keeper. Seeds from :data:`HELD_OUT_SEED0` on were never used in training.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.chain.client import Receipt
from aiweb3.defi.market import (
    HISTORIES,
    MarketConfig,
    MarketSimulator,
    PriceModel,
    fit_price_model,
    load_history,
)
from aiweb3.defi.market import price_path as make_path
from aiweb3.defi.uniswap import LocalMarket, approve_max, full_range, mint_tokens
from aiweb3.defi.vault import ProvenKeeper, Vault, VaultConfig
from aiweb3.defi.vault_model import (
    TRAINING_SEEDS,
    StrategyConfig,
    strategy_onnx,
    train_strategy,
    training_set,
)
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.zkml import CompiledModel, CompileOptions, Model, ModelRegistryClient

__all__ = [
    "HELD_OUT_SEED0",
    "STRATEGIES",
    "BacktestConfig",
    "RunResult",
    "default_price_model",
    "fund_trader",
    "plot_results",
    "prepare_ai_model",
    "run_backtest",
    "summarize",
]

STRATEGIES = ("passive", "fixed", "charm", "ai")
#: backtest seeds start here; the strategy model trains on :data:`TRAINING_SEEDS` (0..39)
HELD_OUT_SEED0 = 1000
UNIT = 10**18


@dataclass(frozen=True)
class BacktestConfig:
    """Run length and strategy parameters (ticks; the pool's spacing is 60 at the 0.3% tier)."""

    steps: int = 24 * 7
    step_seconds: int = 3600
    deposit_base: float = 10.0
    gas_price_gwei: float = 20.0
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    fixed_half_width: int = 600
    charm_base_half_width: int = 3600
    charm_limit_width: int = 1200
    charm_min_tick_move: int = 120
    max_twap_deviation: int = 600
    market: MarketConfig = field(default_factory=MarketConfig)


@dataclass
class RunResult:
    """One strategy on one seed."""

    strategy: str
    seed: int
    hold_value: float
    final_value: float
    rebalances: int
    gas: int
    gas_cost: float
    prove_seconds: float
    swaps: int
    #: the fees the vault's positions earned, valued at the final price (part of final_value)
    fees: float = 0.0

    @property
    def net_vs_hold(self) -> float:
        """Final value over holding the deposit, minus one (before gas)."""
        return self.final_value / self.hold_value - 1

    @property
    def net_after_gas(self) -> float:
        """The same after paying the rebalance gas."""
        return (self.final_value - self.gas_cost) / self.hold_value - 1

    @property
    def fee_return(self) -> float:
        """Fees earned over the value of holding the deposit."""
        return self.fees / self.hold_value

    @property
    def impermanent_loss(self) -> float:
        """The net result before gas without the fees: what the price moves cost the positions."""
        return self.net_vs_hold - self.fee_return

    def to_json(self) -> dict[str, Any]:
        """As JSON data, with the derived figures."""
        return {
            **asdict(self),
            "net_vs_hold": self.net_vs_hold,
            "net_after_gas": self.net_after_gas,
            "fee_return": self.fee_return,
            "impermanent_loss": self.impermanent_loss,
        }


def default_price_model() -> PriceModel:
    """Jump-diffusion fitted to BTCUSD (the ``backtesting`` package's monthly closes), hourly steps."""
    return fit_price_model(load_history("BTCUSD"), steps_per_bar=HISTORIES["BTCUSD"], jumps=True)


def prepare_ai_model(
    chain: Chain, owner: LocalAccount, home: Path, price_model: PriceModel, config: StrategyConfig
) -> CompiledModel:
    """Train the strategy model on the training seeds, compile it (public inputs) and register it
    in this home's ModelRegistry (each step reused when already done)."""
    x, y = training_set(price_model, config, TRAINING_SEEDS)
    trained = train_strategy(x, y, 128)
    onnx_path = strategy_onnx(trained, Path(home) / "defi" / "lp_strategy.onnx")
    samples = [[list(row / 128)] for row in x[:16]]
    model = Model.from_onnx(onnx_path, home=home).compile(samples, CompileOptions(input_visibility="public"))
    registry = ModelRegistryClient.from_home(chain, home)
    if model.model_id not in {m.model_id for m in registry.models()}:
        model.register(chain, owner)
    return model


def _decide_fixed(tick: int, spacing: int, half: int) -> tuple[int, int]:
    centre = tick // spacing * spacing
    half = max(spacing, half // spacing * spacing)
    return centre - half, centre + half


def _run_one(
    chain: Chain,
    market: LocalMarket,
    deployer: LocalAccount,
    lp: LocalAccount,
    trader: LocalAccount,
    strategy: str,
    seed: int,
    config: BacktestConfig,
    price_model: PriceModel,
    ai_model: CompiledModel | None,
    registry: str | None,
) -> RunResult:
    pool, spacing = market.pool, market.pool.tick_spacing
    window = config.strategy.window_steps
    period = config.strategy.rebalance_steps
    warmup = 4 * window + 1  # observe() reaches back up to four windows (aligned windows)
    path = make_path(price_model, warmup + config.steps, market.base_price(), seed)[1:]
    sim = MarketSimulator(chain, market, trader, _with_step_seconds(config.market, config.step_seconds), seed)
    report = sim.run(list(path[:warmup]), batch_steps=warmup)
    limit = config.charm_limit_width if strategy in ("charm", "ai") else 0
    vconf = VaultConfig(
        twap_window=window * config.step_seconds,
        max_twap_deviation=config.max_twap_deviation,
        limit_width=limit,
        max_half_width=config.strategy.max_half_width,
    )
    proven = strategy == "ai"
    if proven and (ai_model is None or registry is None):
        raise InputError("the ai strategy needs its compiled, registered model (prepare_ai_model)")
    vault = Vault.deploy(
        chain, deployer, pool, keeper=deployer.address, config=vconf,
        model=ai_model if proven else None, registry=registry if proven else None,
    )  # fmt: skip
    keeper = ProvenKeeper(vault, ai_model, deployer) if proven and ai_model else None
    price = market.base_price()
    base_amount = int(config.deposit_base * UNIT)
    quote_amount = int(config.deposit_base * price * UNIT)
    a0, a1 = (base_amount, quote_amount) if market.base_is_token0 else (quote_amount, base_amount)
    for token, amount in ((pool.token0, a0), (pool.token1, a1)):
        mint_tokens(chain, lp, token, lp.address, amount)
    shares, d0, d1 = vault.deposit(lp, a0, a1)
    gas, rebalances = 0, 0
    last_tick: int | None = None
    receipts: list[Receipt] = []

    def rebalance() -> None:
        nonlocal gas, rebalances, last_tick
        tick = pool.slot0()[1]
        lower, upper = 0, 0  # the ai keeper's range comes from its proof
        if strategy == "passive":
            if rebalances:
                return
            lower, upper = full_range(spacing)
        elif strategy == "fixed":
            lower, upper = _decide_fixed(tick, spacing, config.fixed_half_width)
        elif strategy == "charm":
            if last_tick is not None and abs(tick - last_tick) < config.charm_min_tick_move:
                return
            lower, upper = _decide_fixed(tick, spacing, config.charm_base_half_width)
        try:
            receipt = keeper.rebalance() if keeper is not None else vault.rebalance(deployer, lower, upper)
        except TransactionReverted as exc:
            if exc.error_name == "PriceDeviates":
                return  # the guard holds the rebalance back this period, as on chain
            raise
        gas += int(receipt["gasUsed"])
        rebalances += 1
        last_tick = tick
        receipts.append(receipt)

    rebalance()
    rest = list(path[warmup:])
    for start in range(0, len(rest), period):
        step_report = sim.run(rest[start : start + period], batch_steps=period)
        report.swaps += step_report.swaps
        if start + period < len(rest):
            rebalance()
    final_price = market.base_price()
    receipt = chain.transact(lp, vault.contract.functions.withdraw(shares, 0, 0, lp.address))
    event = chain.events(vault.contract, "Withdraw", receipt)[0]
    out0, out1 = int(event["amount0"]), int(event["amount1"])
    fee0, fee1 = _fees_collected(chain, market, vault.address, [*receipts, receipt])
    fee_base, fee_quote = (fee0, fee1) if market.base_is_token0 else (fee1, fee0)
    got_base, got_quote = (out0, out1) if market.base_is_token0 else (out1, out0)
    held_base, held_quote = (d0, d1) if market.base_is_token0 else (d1, d0)
    gas_cost = gas * config.gas_price_gwei * 1e-9 * final_price
    return RunResult(
        strategy=strategy,
        seed=seed,
        hold_value=(held_base * final_price + held_quote) / UNIT,
        final_value=(got_base * final_price + got_quote) / UNIT,
        rebalances=rebalances,
        gas=gas,
        gas_cost=gas_cost,
        prove_seconds=keeper.prove_seconds if keeper else 0.0,
        swaps=report.swaps,
        fees=(fee_base * final_price + fee_quote) / UNIT,
    )


def _fees_collected(
    chain: Chain, market: LocalMarket, owner: str, receipts: Sequence[Receipt]
) -> tuple[int, int]:
    """Fees ``owner`` took out of the pool in these transactions: what it collected beyond the
    principal it burned (the pool's own Collect and Burn events)."""
    fee0 = fee1 = 0
    pool = market.pool.contract
    for receipt in receipts:
        for ev in chain.events(pool, "Collect", receipt):
            if ev["owner"] == owner:
                fee0, fee1 = fee0 + int(ev["amount0"]), fee1 + int(ev["amount1"])
        for ev in chain.events(pool, "Burn", receipt):
            if ev["owner"] == owner:
                fee0, fee1 = fee0 - int(ev["amount0"]), fee1 - int(ev["amount1"])
    return fee0, fee1


def _with_step_seconds(config: MarketConfig, seconds: int) -> MarketConfig:
    return replace(config, step_seconds=seconds)


def run_backtest(
    chain: Chain,
    market: LocalMarket,
    deployer: LocalAccount,
    lp: LocalAccount,
    trader: LocalAccount,
    *,
    strategies: Sequence[str],
    seeds: Sequence[int],
    config: BacktestConfig = BacktestConfig(),
    price_model: PriceModel | None = None,
    ai_model: CompiledModel | None = None,
    registry: str | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run each strategy on each seed from the same chain state (snapshot, run, revert).

    ``trader`` must hold plenty of both tokens and have approved the router (see
    :func:`fund_trader`); ``lp`` gets the deposit minted.
    """
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise InputError(f"unknown strategy {unknown[0]!r}; use one of {', '.join(STRATEGIES)}")
    training = [s for s in seeds if s in TRAINING_SEEDS]
    if "ai" in strategies and training:
        raise InputError(
            f"seed {training[0]} was used to train the model; backtest on seeds >= {HELD_OUT_SEED0}"
        )
    model = price_model or default_price_model()
    results: list[RunResult] = []
    for seed in seeds:
        for strategy in strategies:
            snapshot = chain.snapshot()
            try:
                result = _run_one(
                    chain, market, deployer, lp, trader, strategy, seed, config, model, ai_model, registry
                )
            finally:
                chain.revert(snapshot)
            results.append(result)
            if on_result:
                on_result(result)
    return results


def fund_trader(chain: Chain, market: LocalMarket, trader: LocalAccount) -> None:
    """Give the simulated market's trader ample test tokens and approve the router."""
    for token in (market.base.address, market.quote.address):
        mint_tokens(chain, trader, token, trader.address, 10**12 * UNIT)
        approve_max(chain, trader, token, market.uni.router)


def summarize(results: Sequence[RunResult]) -> dict[str, dict[str, float]]:
    """Medians per strategy: net vs hold before and after gas, gas, rebalances, proving time."""
    out: dict[str, dict[str, float]] = {}
    for name in dict.fromkeys(r.strategy for r in results):
        rs = [r for r in results if r.strategy == name]
        out[name] = {
            "runs": float(len(rs)),
            "net_vs_hold": statistics.median(r.net_vs_hold for r in rs),
            "net_after_gas": statistics.median(r.net_after_gas for r in rs),
            "fee_return": statistics.median(r.fee_return for r in rs),
            "impermanent_loss": statistics.median(r.impermanent_loss for r in rs),
            "gas": statistics.median(r.gas for r in rs),
            "rebalances": statistics.median(r.rebalances for r in rs),
            "prove_seconds": statistics.median(r.prove_seconds for r in rs),
        }
    return out


class _Run(Protocol):
    strategy: str
    seed: int

    @property
    def net_after_gas(self) -> float: ...


def plot_results(
    results: Sequence[_Run], path: Path, *, title: str = "LP strategies on real Uniswap v3"
) -> Path:
    """A PNG: net result versus holding after gas, per strategy (one box per strategy)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r.strategy for r in results))
    data = [[100 * r.net_after_gas for r in results if r.strategy == n] for n in names]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.boxplot(data, tick_labels=names)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_ylabel("net vs holding after gas (%)")
    seeds = sorted({r.seed for r in results})
    ax.set_title(f"{title}, {len(seeds)} held-out seeds")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path
