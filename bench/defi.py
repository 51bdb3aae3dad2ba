"""DeFi on real Uniswap v3 (issue 18): simulated swaps per second through bulk send.

- ``swaps_per_s``: the market simulator's swaps (noise traders + arbitrageur, every one a real
  SwapRouter ``exactInputSingle`` on the real pool), predicted with the exact v3 math and sent
  with ``Chain.bulk_send``; peer: the same planned swaps sent one by one with ``Chain.send``
  (sign, send, wait). Both sides replay the same plan from the same snapshot, order alternating.

One fresh local node for the whole run; Uniswap v3 from its npm build (`aiweb3 defi up`).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from _common import log, report, turns  # bench/ is on sys.path when run as a script

from aiweb3.chain import Chain, LocalNode, NodeConfig, dev_account
from aiweb3.defi import approve_max, defi_up, mint_tokens
from aiweb3.defi.market import (
    HISTORIES,
    MarketConfig,
    MarketSimulator,
    fit_price_model,
    load_history,
    price_path,
)

BENCH = "defi"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
STEPS = int(os.environ.get("BENCH_DEFI_STEPS", "96"))


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
        swaps_per_second(chain, home)
        chain.close()
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
