"""Flower training (in one process) with Byzantine miners, validators scoring on hidden data,
and whole epochs settled on the real node: the robust aggregation and Yuma consensus hold."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, Deployment, dev_account
from aiweb3.errors import InputError
from aiweb3.network import (
    FederationConfig,
    NetworkReport,
    NetworkSpec,
    Role,
    Shards,
    Subnet,
    SubnetParams,
    TrainingRecord,
    make_shards,
    run_inprocess,
    run_network,
    score_round,
    settle_epochs,
    weights_from_scores,
)
from aiweb3.network.result import build_lineage, register_result
from aiweb3.zkml import ModelRegistryClient, ZkmlHome
from aiweb3_flower.task import accuracy

BEHAVIOURS = ["honest"] * 6 + ["label_flip", "sign_flip", "free_rider", "noise"]
BYZANTINE = [j for j, b in enumerate(BEHAVIOURS) if b != "honest"]
CONFIG = FederationConfig(rounds=3, strategy="trimmed", byzantine=4)
PARAMS = SubnetParams(commit_period=30, reveal_period=30)
STAKES = [1000 * 10**6, 900 * 10**6, 800 * 10**6]  # validator 2, the cabal: 30% of the stake
FREE_RIDER = BEHAVIOURS.index("free_rider")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Shards, TrainingRecord]:
    work = tmp_path_factory.mktemp("federation")
    shards = make_shards(work, BEHAVIOURS, 3)
    return shards, run_inprocess(work, shards, CONFIG)


def test_robust_aggregation_learns_despite_byzantine_miners(
    trained: tuple[Shards, TrainingRecord], tmp_path: Path
) -> None:
    shards, record = trained
    test = shards.load(shards.test)
    robust = [accuracy(r.after, *test) for r in record.rounds]
    assert len(record.rounds) == 3 and all(len(r.updates) == 10 for r in record.rounds)
    assert robust[-1] > 0.9
    # the attacks are real: plain averaging of the same miners' updates does far worse
    naive = run_inprocess(
        tmp_path, make_shards(tmp_path, BEHAVIOURS, 3), FederationConfig(rounds=3, strategy="fedavg")
    )
    assert accuracy(naive.final, *test) < robust[-1] - 0.1


def test_validators_score_only_honest_work(trained: tuple[Shards, TrainingRecord]) -> None:
    shards, record = trained
    for path in shards.validators:
        x, y = shards.load(path)
        for rnd in record.rounds:
            weights = weights_from_scores(score_round(rnd, x, y, len(BEHAVIOURS)))
            assert all(weights[j] == 0 for j in BYZANTINE), (rnd.number, weights)
            assert all(weights[j] > 0 for j in range(6)), (rnd.number, weights)


def test_malformed_updates_are_refused_with_the_reason(tmp_path: Path) -> None:
    shards = make_shards(tmp_path, ["honest", "honest", "wrong_shape", "non_finite"], 1)
    record = run_inprocess(tmp_path, shards, FederationConfig(rounds=1, strategy="fedavg"))
    (rnd,) = record.rounds
    assert sorted(rnd.updates) == [0, 1]
    assert rnd.rejected == {
        2: "array 0 has shape (63, 10), expected (64, 10)",
        3: "array 0 has non-finite values",
    }
    assert all(np.all(np.isfinite(a)) for a in rnd.after)
    with pytest.raises(InputError, match="unknown miner behaviour 'lazy'"):
        make_shards(tmp_path, ["honest", "lazy"], 1)


def _funded(chain: Chain, aiusd: Contract, amount: int) -> LocalAccount:
    acct: LocalAccount = Account.create()
    chain.set_balance(acct.address, 10**18)
    chain.transact(dev_account(0), aiusd.functions.faucet(acct.address, amount))
    return acct


@pytest.fixture(scope="module")
def network(
    module_chain_isolation: Chain,
    deployments: dict[str, Deployment],
    aiusd: Contract,
    trained: tuple[Shards, TrainingRecord],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[NetworkReport, list[LocalAccount], LocalAccount]:
    chain = module_chain_isolation
    sponsor = _funded(chain, aiusd, 10 * PARAMS.emission_per_epoch)
    miners = [_funded(chain, aiusd, PARAMS.min_stake) for _ in BEHAVIOURS]
    validators = [_funded(chain, aiusd, s) for s in STAKES]
    spec = NetworkSpec(
        behaviours=BEHAVIOURS,
        validator_stakes=STAKES,
        cabal=[2],
        cabal_miners=[FREE_RIDER],
        federation=CONFIG,
        subnet=PARAMS,
    )
    work = tmp_path_factory.mktemp("network")
    report = run_network(chain, deployments["AIUSD"].address, sponsor, miners, validators, spec, work)
    return report, miners, sponsor


def test_network_pays_honest_miners_and_a_minority_cabal_gains_nothing(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiusd: Contract,
    trained: tuple[Shards, TrainingRecord],
    network: tuple[NetworkReport, list[LocalAccount], LocalAccount],
) -> None:
    report, _, _ = network
    params = PARAMS
    assert len(report.epochs) == 3
    assert report.byzantine_share == 0.0
    assert all(report.miner_earned[j] > 0 for j in range(6))
    assert all(e.incentive[FREE_RIDER] == 0 for e in report.epochs)
    # the cabal's bonds were cut above consensus: it earns less per stake than honest validators
    per_stake = [e / s for e, s in zip(report.validator_earned, STAKES, strict=True)]
    assert per_stake[2] < 0.5 * min(per_stake[:2])
    emitted = sum(e.emitted for e in report.epochs)
    assert 3 * params.emission_per_epoch - 100 <= emitted <= 3 * params.emission_per_epoch
    assert sum(report.miner_earned) + sum(report.validator_earned) == emitted
    assert report.accuracy[-1] > 0.9 and report.centralised_accuracy > 0.9

    # the same rounds settled by the same validators without the cabal: its miner is no worse off
    miners, _ = _settle_fresh(chain, deployments, aiusd, trained, [])
    assert miners[FREE_RIDER] >= report.miner_earned[FREE_RIDER]


def _settle_fresh(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiusd: Contract,
    trained: tuple[Shards, TrainingRecord],
    favoured: list[int],
    params: SubnetParams = PARAMS,
) -> tuple[list[int], list[int]]:
    """The trained rounds settled on a new subnet, validator 2 backing ``favoured`` (none: it
    scores honestly); what each miner and each validator earned."""
    shards, record = trained
    sponsor = _funded(chain, aiusd, len(record.rounds) * params.emission_per_epoch)
    subnet = Subnet.deploy(chain, sponsor, deployments["AIUSD"].address, params)
    miners = [_funded(chain, aiusd, params.min_stake) for _ in BEHAVIOURS]
    validators = [_funded(chain, aiusd, s) for s in STAKES]
    for m in miners:
        subnet.register(m, Role.MINER, params.min_stake)
    for v, s in zip(validators, STAKES, strict=True):
        subnet.register(v, Role.VALIDATOR, s)
    subnet.fund_pool(sponsor, len(record.rounds) * params.emission_per_epoch)
    subnet.dev_advance_to(subnet.phase()[2])
    subnet.finalize(sponsor)
    cabal = [2] if favoured else []
    settle_epochs(subnet, record, shards, validators, sponsor, cabal=cabal, cabal_miners=favoured)
    return [subnet.owed(m.address) for m in miners], [subnet.owed(v.address) for v in validators]


def test_a_cabal_backing_an_honest_miner_gains_less_than_under_documented_yuma_and_loses_overall(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiusd: Contract,
    trained: tuple[Shards, TrainingRecord],
) -> None:
    documented = replace(PARAMS, yuma=replace(PARAMS.yuma, median_incentive=False))
    gains, totals = [], []
    for params in (PARAMS, documented):
        honest_m, honest_v = _settle_fresh(chain, deployments, aiusd, trained, [], params)
        m, v = _settle_fresh(chain, deployments, aiusd, trained, [0], params)
        gains.append(m[0] - honest_m[0])
        totals.append(m[0] + v[2] - honest_m[0] - honest_v[2])
    # paying by consensus leaves the cabal only the room between the honest validators' weights
    assert gains[0] < gains[1]
    # and collusion does not pay the cabal: its validator forfeits more dividends than its miner gains
    assert totals[0] < 0 and totals[1] < 0


def test_final_model_is_registered_with_its_lineage_and_proves_inferences(
    chain: Chain,
    aiweb3_home: Path,
    network: tuple[NetworkReport, list[LocalAccount], LocalAccount],
    tmp_path: Path,
) -> None:
    report, miners, sponsor = network
    assert report.training is not None and report.shards is not None
    x_test, _ = report.shards.load(report.shards.test)
    lineage = build_lineage(
        report, report.training, report.shards, [m.address for m in miners], chain_id=chain.chain_id,
        dataset="digits",
    )  # fmt: skip
    result = register_result(
        chain, sponsor, aiweb3_home, report.training, lineage, [list(x) for x in x_test[:8]], tmp_path
    )
    registered = ModelRegistryClient.from_home(chain, aiweb3_home).get(result.model_id)
    assert registered.metadata_uri == f"ipfs://{result.lineage_cid}"
    stored = json.loads(ZkmlHome(aiweb3_home).store.get_bytes(result.lineage_cid))
    assert stored["subnet"] == report.subnet
    assert [m["account"] for m in stored["miners"]] == [m.address for m in miners]
    assert [r["epoch"] for r in stored["rounds"]] == [e.epoch for e in report.epochs]
    assert stored["rounds"][0]["updates"].keys() == {str(j) for j in range(len(BEHAVIOURS))}
    # a proven inference of the registered model, checked on chain, answers like the trained model
    proof = result.model.prove(list(x_test[0]))
    check = proof.verify_onchain(chain, signer=sponsor)
    assert check.valid and check.model_id == result.model_id
    logits = np.asarray(x_test[0]) @ report.training.final[0] + report.training.final[1]
    assert int(np.argmax(proof.outputs[0])) == int(np.argmax(logits))
