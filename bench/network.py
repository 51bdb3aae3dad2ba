"""The model-creation network (issue 20): 10 miners (3 Byzantine), 3 validators (one a cabal
with under half the stake), Flower on real SuperLink/SuperNode processes, epochs on a real node.

Figures: final accuracy against centralised training on the same data (goal within 2 points),
the share of miners' emission that reaches Byzantine miners (goal < 5%), whether the cabal
raises its miners' incentive (goal: no, for a lazy miner and for an honest one), the demo's wall
time (goal < 300 s on 2 cores) and gas per epoch.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _common import json_only_stdout, log, report  # bench/ is on sys.path when run as a script
from eth_account import Account
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, LocalNode, NodeConfig, artifact, deploy_system, dev_account
from aiweb3.network import (
    FederationConfig,
    NetworkSpec,
    Role,
    Subnet,
    SubnetParams,
    make_shards,
    run_network,
    settle_epochs,
)
from aiweb3.network.federation import load_record

BENCH = "network"
BEHAVIOURS = ["honest"] * 7 + ["label_flip", "sign_flip", "free_rider"]
STAKES = [1000 * 10**6, 900 * 10**6, 800 * 10**6]  # the cabal (validator 2) holds 30%
PARAMS = SubnetParams(commit_period=30, reveal_period=30)


def _funded(chain: Chain, aiusd: object, amount: int) -> LocalAccount:
    acct: LocalAccount = Account.create()
    chain.set_balance(acct.address, 10**18)
    chain.transact(dev_account(0), aiusd.functions.faucet(acct.address, amount))  # type: ignore[attr-defined]
    return acct


def _settle(
    chain: Chain, token: str, aiusd: object, work: Path, cabal: list[int], favoured: list[int]
) -> list[int]:
    """Settle the recorded rounds on a fresh subnet; what each miner earned."""
    record = load_record(work / "rounds")
    shards = make_shards(work, BEHAVIOURS, len(STAKES))
    sponsor = _funded(chain, aiusd, 10 * PARAMS.emission_per_epoch)
    subnet = Subnet.deploy(chain, sponsor, token, PARAMS)
    miners = [_funded(chain, aiusd, PARAMS.min_stake) for _ in BEHAVIOURS]
    validators = [_funded(chain, aiusd, s) for s in STAKES]
    for m in miners:
        subnet.register(m, Role.MINER, PARAMS.min_stake)
    for v, s in zip(validators, STAKES, strict=True):
        subnet.register(v, Role.VALIDATOR, s)
    subnet.fund_pool(sponsor, len(record.rounds) * PARAMS.emission_per_epoch)
    subnet.dev_advance_to(subnet.phase()[2])
    subnet.finalize(sponsor)
    settle_epochs(subnet, record, shards, validators, sponsor, cabal=cabal, cabal_miners=favoured)
    return [subnet.owed(m.address) for m in miners]


def main() -> None:
    out = json_only_stdout()
    with tempfile.TemporaryDirectory() as tmp:
        home, work = Path(tmp) / "home", Path(tmp) / "work"
        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            token = deploy_system(chain, dev_account(0), home)["AIUSD"].address
            aiusd = chain.contract(artifact("AIUSD").abi, token)
            free_rider = BEHAVIOURS.index("free_rider")
            spec = NetworkSpec(
                behaviours=BEHAVIOURS,
                validator_stakes=STAKES,
                cabal=[2],
                cabal_miners=[free_rider],
                federation=FederationConfig(byzantine=3),
                subnet=PARAMS,
            )
            sponsor = _funded(chain, aiusd, spec.federation.rounds * PARAMS.emission_per_epoch)
            miners = [_funded(chain, aiusd, PARAMS.min_stake) for _ in BEHAVIOURS]
            validators = [_funded(chain, aiusd, s) for s in STAKES]
            log("network: training on SuperLink/SuperNodes and settling epochs (a few minutes)")
            start = time.perf_counter()
            net = run_network(chain, token, sponsor, miners, validators, spec, work, mode="deployment")
            wall = time.perf_counter() - start
            gap = (net.centralised_accuracy - net.accuracy[-1]) * 100
            report(BENCH, "final_accuracy", [net.accuracy[-1]], "centralised training, same data",
                   [net.centralised_accuracy], "higher",
                   extra={"gap_points": round(gap, 2), "goal_gap_points": 2}, out=out)  # fmt: skip
            report(BENCH, "byzantine_emission_share", [net.byzantine_share], None, None, "lower", goal=0.05,
                   out=out)  # fmt: skip
            report(BENCH, "demo_wall_time_s", [wall], None, None, "lower", goal=300, out=out)
            gas = sorted(e.gas_used for e in net.epochs)
            report(BENCH, "gas_per_epoch", [float(g) for g in gas], None, None, "lower", out=out)
            # the cabal's gain: what its miner earns with the cabal minus without it (same rounds)
            honest_pick = 0
            for label, favoured in (("lazy_miner", free_rider), ("honest_miner", honest_pick)):
                with_cabal = _settle(chain, token, aiusd, work, [2], [favoured])
                without = _settle(chain, token, aiusd, work, [], [])
                total = spec.federation.rounds * PARAMS.emission_per_epoch
                gain = (with_cabal[favoured] - without[favoured]) / total
                extra = {"with_cabal_aiusd": with_cabal[favoured] / 1e6, "without": without[favoured] / 1e6}
                figure = f"cabal_incentive_gain_{label}"
                report(BENCH, figure, [gain], None, None, "lower", goal=0.0, extra=extra, out=out)
            chain.close()
        finally:
            node.stop()


if __name__ == "__main__":
    main()
