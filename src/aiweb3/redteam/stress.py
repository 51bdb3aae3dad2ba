"""Economic stress tests: agent-based Monte Carlo on the real lending market and v3 pool (issue 19, item 5).

    run = run_stress(chain, deployer, home, StressConfig(paths=200, seed=1), parse_grid("default")[0])
    write_report(report_dict(run), out_dir)   # stress.json + stress.md (aiweb3.redteam.stress_report)

For every grid point (collateral factor, liquidation bonus, TWAP window) a ``UniV3TwapOracle`` and
a ``LendingMarket`` are deployed over the TETH/TUSD pool and the borrowers open their positions;
then every path starts from an anvil snapshot of that state, runs block by block
(:mod:`aiweb3.redteam.stress_path`) and is reverted. Paths are seeded (the same external prices
and agent orderings at every grid point), blocks are mined at exact timestamps, so a seed gives
the same numbers on every run. The whole run is reverted at the end: the chain is left as found.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.defi import HISTORIES, fit_price_model, load_history, price_path
from aiweb3.errors import ChainError
from aiweb3.redteam.stress_chain import BlockSender, manual_mining
from aiweb3.redteam.stress_config import GridPoint, StressConfig
from aiweb3.redteam.stress_path import PathResult, run_path
from aiweb3.redteam.stress_setup import prepare_point, prepare_stage

__all__ = ["StressRun", "path_seed", "run_stress"]


@dataclass
class StressRun:
    """Every path of every grid point, in order."""

    config: StressConfig
    points: list[GridPoint]
    skipped: list[GridPoint] = field(default_factory=list)
    results: dict[str, list[PathResult]] = field(default_factory=dict)  # grid label -> paths
    seconds: float = 0.0
    path_seconds: float = 0.0  # running the paths and reverting them (setup left out)
    transactions: int = 0


def path_seed(config: StressConfig, index: int) -> int:
    """The price-path seed of path ``index`` (the same at every grid point)."""
    return config.seed * 1_000_003 + index


def base_paths(config: StressConfig) -> list[np.ndarray]:
    """External prices of every path before crashes: the fitted model, seeded per path."""
    hours_per_bar = HISTORIES[config.history]
    model = fit_price_model(
        load_history(config.history), hours_per_bar * 3600 / config.step_seconds, jumps=config.jumps
    )
    return [price_path(model, config.steps, config.price, path_seed(config, i)) for i in range(config.paths)]


def _require_dev_node(chain: Chain) -> None:
    try:
        version = str(chain.rpc("web3_clientVersion", []))
    except ChainError:
        version = ""
    if not version.lower().startswith("anvil"):
        raise ChainError(
            "stress tests mine blocks by hand and revert snapshots: run them on a local anvil node"
        )


def run_stress(
    chain: Chain,
    deployer: LocalAccount,
    home: Path,
    config: StressConfig,
    points: Sequence[GridPoint],
    *,
    skipped: Sequence[GridPoint] = (),
    batched: bool = True,
    on_path: Callable[[PathResult], None] | None = None,
) -> StressRun:
    """Run ``config.paths`` paths at every grid point on ``chain`` (an anvil node; ``deployer``
    funds the agents; Uniswap v3 is recorded in ``home``). ``batched=False`` sends every request
    on its own (the benchmark's peer). The chain is reverted to its state before the run.

    Raises:
        ChainError: not an anvil node, or the node refused a transaction.
    """
    _require_dev_node(chain)
    started = time.perf_counter()
    run = StressRun(config, list(points), list(skipped))
    paths = base_paths(config)
    before = chain.snapshot()
    sender = BlockSender(chain, batched=batched)
    try:
        stage = prepare_stage(chain, deployer, home, config)
        staged = chain.snapshot()
        for point in points:
            chain.revert(staged)
            staged = chain.snapshot()
            pm = prepare_point(stage, point)
            opened = chain.snapshot()
            results: list[PathResult] = []
            for i, prices in enumerate(paths):
                began = time.perf_counter()
                sender.reset()
                with manual_mining(chain):
                    result = run_path(stage, pm, sender, prices, i, path_seed(config, i))
                chain.revert(opened)
                opened = chain.snapshot()
                run.path_seconds += time.perf_counter() - began
                results.append(result)
                if on_path is not None:
                    on_path(result)
            run.results[point.label] = results
    finally:
        chain.revert(before)
        chain.rpc("evm_mine", [])
    run.seconds = time.perf_counter() - started
    run.transactions = sender.sent
    return run
