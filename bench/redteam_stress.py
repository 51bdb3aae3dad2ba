"""Economic stress tests (issue 19, item 5): stress paths per minute through bulk send.

``paths_per_minute``: the stress simulation (arbitrageur, liquidators, flash liquidator and oracle
manipulator on the real pool and lending market, a block per step at exact timestamps) with each
block's transactions and reads sent as raw JSON-RPC batches; peer: the same paths with every
request sent on its own. Both sides run the same seeded paths from the same snapshots on one
fresh node, in alternating order; setup (deployments, positions) is left out of the rate.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from _common import log, report, turns  # bench/ is on sys.path when run as a script

from aiweb3.chain import Chain, LocalNode, NodeConfig, dev_account
from aiweb3.redteam.stress import run_stress
from aiweb3.redteam.stress_config import StressConfig, parse_grid

BENCH = "redteam_stress"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PATHS = int(os.environ.get("BENCH_STRESS_PATHS", "20"))


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    home = Path(tempfile.mkdtemp(prefix="aiweb3-bench-stress-"))
    node = LocalNode(NodeConfig(home=home, state_interval=3600))
    info = node.start()
    config = StressConfig(paths=PATHS, seed=1)
    points, _ = parse_grid("cf=0.65;bonus=0.05;window=600")
    ours: list[float] = []
    peer: list[float] = []
    try:
        with Chain(info.url) as chain:
            for _, order in turns(["ours", "peer"], ROUNDS):
                for side in order:
                    run = run_stress(chain, dev_account(0), home, config, points, batched=side == "ours")
                    rate = PATHS * 60 / run.path_seconds
                    (ours if side == "ours" else peer).append(rate)
                    log(
                        f"{side}: {rate:.1f} paths/min ({run.transactions} transactions, "
                        f"{run.path_seconds:.1f} s)"
                    )
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)
    report(
        BENCH, "stress_paths_per_minute", ours, "every request sent on its own", peer, "higher",
        extra={"paths": PATHS, "steps": config.steps},
    )  # fmt: skip


if __name__ == "__main__":
    main()
