"""DeFi on real Uniswap v3 (issue 18): LP strategies, proof gas, simulated swaps per second.

- per strategy (passive full range, fixed-width re-centring, Charm's rules, the proven AI
  vault), the median over held-out seeds (1000..) of the net result versus holding, after gas;
  then the AI's ratio to passive, to Charm and to the best baseline (value withdrawn over value
  held, medians; goal: above 1, i.e. the AI beats them after gas and proof costs);
- gas per proven rebalance (proof verified through the ModelRegistry) versus an unproven one of
  the same vault structure (Charm's, the keeper naming the range);
- ``swaps_per_s``: the market simulator's swaps (noise traders + arbitrageur, every one a real
  SwapRouter ``exactInputSingle`` on the real pool), predicted with the exact v3 math and sent
  with ``Chain.bulk_send``; peer: the same planned swaps sent one by one with ``Chain.send``
  (sign, send, wait). Both sides replay the same plan from the same snapshot, order alternating.

- the structured vault (each epoch a proven split between lending and a full-range position)
  against all-lending, all-LP and a fixed 50/50, on the same held-out seeds with a lending market
  whose utilisation each seed draws; the AI's ratio to the best of them.

One fresh local node for the whole run; Uniswap v3 from its npm build (`aiweb3 defi up`).
``BENCH_DEFI_PARTS`` (default ``swaps,lp,structured``) picks the parts to run.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import log, report, turns  # bench/ is on sys.path when run as a script

from aiweb3.chain import Chain, LocalNode, NodeConfig, deploy_system, dev_account
from aiweb3.defi import approve_max, defi_up, mint_tokens
from aiweb3.defi.backtest import (
    HELD_OUT_SEED0,
    STRATEGIES,
    BacktestConfig,
    default_price_model,
    fund_trader,
    prepare_ai_model,
    run_backtest,
)
from aiweb3.defi.market import (
    HISTORIES,
    MarketConfig,
    MarketSimulator,
    fit_price_model,
    load_history,
    price_path,
)
from aiweb3.defi.structured import prepare_allocation_model
from aiweb3.defi.structured_backtest import (
    STRUCTURED_STRATEGIES,
    StructuredBacktestConfig,
    run_structured_backtest,
)
from aiweb3.defi.vault import system_registry

BENCH = "defi"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
STEPS = int(os.environ.get("BENCH_DEFI_STEPS", "96"))
SEEDS = int(os.environ.get("BENCH_DEFI_SEEDS", "20"))
#: the first held-out seed (a run can be split across processes: 1000 + 10 seeds, 1010 + 10 seeds)
SEED0 = max(HELD_OUT_SEED0, int(os.environ.get("BENCH_DEFI_SEED0", str(HELD_OUT_SEED0))))
HOURS = int(os.environ.get("BENCH_DEFI_HOURS", "168"))
PARTS = os.environ.get("BENCH_DEFI_PARTS", "swaps,lp,structured").split(",")


def lp_strategies(chain: Chain, home: Path) -> None:
    """Every strategy on the same held-out seeds; medians; the AI against the baselines."""
    deployer, lp, trader = dev_account(0), dev_account(7), dev_account(8)
    deploy_system(chain, deployer, home)
    config = BacktestConfig(steps=HOURS)
    prices = default_price_model()
    ai = prepare_ai_model(chain, deployer, home, prices, config.strategy)
    market = defi_up(chain, deployer, home)
    fund_trader(chain, market, trader)
    results = run_backtest(
        chain, market, deployer, lp, trader,
        strategies=STRATEGIES, seeds=range(SEED0, SEED0 + SEEDS), config=config,
        price_model=prices, ai_model=ai, registry=system_registry(chain, home),
        on_result=lambda r: log(f"{r.strategy} seed {r.seed}: {100 * r.net_after_gas:+.3f}% after gas, "
                                f"{r.rebalances} rebalances, {r.gas} gas, proving {r.prove_seconds:.1f} s"),
    )  # fmt: skip
    by = {name: [r for r in results if r.strategy == name] for name in STRATEGIES}
    for name, rs in by.items():
        report(
            BENCH, f"net_vs_hold_after_gas_{name}", [r.net_after_gas for r in rs], None, None, "higher",
            extra={"before_gas": statistics.median(r.net_vs_hold for r in rs), "hours": HOURS},
        )  # fmt: skip
    ai_values = [1 + r.net_after_gas for r in by["ai"]]
    medians = {
        n: statistics.median(1 + r.net_after_gas for r in by[n]) for n in ("passive", "fixed", "charm")
    }
    best = max(medians, key=lambda n: medians[n])
    for figure, peer in (("passive", "passive"), ("charm", "charm"), ("best_baseline", best)):
        label = f"best baseline ({peer})" if figure == "best_baseline" else peer
        peer_values = [1 + r.net_after_gas for r in by[peer]]
        report(BENCH, f"ai_value_vs_{figure}", ai_values, label, peer_values, "higher", goal=1.0)
    proven = [r.gas / r.rebalances for r in by["ai"] if r.rebalances]
    unproven = [r.gas / r.rebalances for r in by["charm"] if r.rebalances]
    report(BENCH, "gas_per_rebalance_proven", proven, "unproven rebalance (same vault)", unproven, "lower")
    report(
        BENCH, "proving_seconds_per_rebalance",
        [r.prove_seconds / r.rebalances for r in by["ai"] if r.rebalances], None, None, "lower",
    )  # fmt: skip


def structured_vault(chain: Chain, home: Path) -> None:
    """The proven structured vault against its three fixed-allocation baselines."""
    accounts = [dev_account(i) for i in (0, 7, 8, 5, 6)]
    deploy_system(chain, accounts[0], home)
    prices = default_price_model()
    model = prepare_allocation_model(chain, accounts[0], home, prices)
    market = defi_up(chain, accounts[0], home)
    fund_trader(chain, market, accounts[2])
    results = run_structured_backtest(
        chain, market, accounts, seeds=range(SEED0, SEED0 + SEEDS),
        config=StructuredBacktestConfig(steps=HOURS), price_model=prices, ai_model=model,
        registry=system_registry(chain, home),
        on_result=lambda r: log(f"structured {r.strategy} seed {r.seed} (utilisation {r.utilisation:.2f}): "
                                f"{100 * r.net_after_gas:+.3f}% after gas, "
                                f"liquidity {r.mean_allocation:.2f}, {r.gas} gas"),
    )  # fmt: skip
    by = {name: [r for r in results if r.strategy == name] for name in STRUCTURED_STRATEGIES}
    for name, rs in by.items():
        report(
            BENCH, f"structured_net_vs_hold_after_gas_{name}", [r.net_after_gas for r in rs], None, None,
            "higher", extra={"before_gas": statistics.median(r.net_vs_hold for r in rs), "hours": HOURS,
                             "liquidity_share": statistics.median(r.mean_allocation for r in rs)},
        )  # fmt: skip
    ai_values = [1 + r.net_after_gas for r in by["ai"]]
    medians = {n: statistics.median(1 + r.net_after_gas for r in by[n]) for n in ("lending", "lp", "split")}
    best = max(medians, key=lambda n: medians[n])
    for figure, peer in (("lending", "lending"), ("lp", "lp"), ("split", "split"), ("best_baseline", best)):
        label = (
            f"best baseline ({peer})"
            if figure == "best_baseline"
            else f"all-{peer}"
            if peer != "split"
            else "50/50"
        )
        peer_values = [1 + r.net_after_gas for r in by[peer]]
        report(BENCH, f"structured_ai_value_vs_{figure}", ai_values, label, peer_values, "higher", goal=1.0)
    proven = [r.gas / r.epochs for r in by["ai"] if r.epochs]
    unproven = [r.gas / r.epochs for r in by["split"] if r.epochs]
    report(
        BENCH,
        "structured_gas_per_epoch_proven",
        proven,
        "unproven allocation (same vault)",
        unproven,
        "lower",
    )


def swaps_per_second(chain: Chain, home: Path) -> None:
    """Bulk-sent simulated swaps versus the same swaps sent one at a time."""
    deployer, trader = dev_account(0), dev_account(1)
    market = defi_up(chain, deployer, home)
    for token in (market.base.address, market.quote.address):
        mint_tokens(chain, trader, token, trader.address, 10**30)
        approve_max(chain, trader, token, market.uni.router)
    model = fit_price_model(load_history("BTCUSD"), steps_per_bar=HISTORIES["BTCUSD"], jumps=True)
    path = price_path(model, STEPS, market.base_price(), seed=11)[1:]
    sim = MarketSimulator(chain, market, trader, MarketConfig(noise_per_step=4.0), seed=11)
    requests, _, _ = sim.plan(market.pool.state(), list(path))
    start = chain.snapshot()
    ours: list[float] = []
    peer: list[float] = []
    for _, order in turns(["ours", "peer"], ROUNDS):
        for side in order:
            chain.revert(start)
            start = chain.snapshot()
            began = time.perf_counter()
            if side == "ours":
                chain.bulk_send(trader, requests, gas=400_000).raise_on_failure()
            else:
                for req in requests:
                    chain.send(trader, req)
            rate = len(requests) / (time.perf_counter() - began)
            (ours if side == "ours" else peer).append(rate)
            log(f"{side}: {rate:.0f} swaps/s ({len(requests)} swaps)")
    report(BENCH, "simulated_swaps_per_s", ours, "Chain.send one by one", peer, "higher")


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    home = Path(tempfile.mkdtemp(prefix="aiweb3-bench-defi-"))
    node = LocalNode(NodeConfig(home=home, state_interval=3600))
    info = node.start()
    try:
        chain = Chain(info.url)
        snapshot = chain.snapshot()
        if "swaps" in PARTS:
            swaps_per_second(chain, home)
            chain.revert(snapshot)
            snapshot = chain.snapshot()
        if "lp" in PARTS:
            lp_strategies(chain, home)
        if "structured" in PARTS:
            structured_vault(chain, home)
        chain.close()
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
