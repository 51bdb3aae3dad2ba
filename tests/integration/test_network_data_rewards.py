"""Data contributions count as personal work: accepted DatasetPool records used in a round share
that epoch's data reward; records not accepted, from another dataset, or named twice are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.crypto.sdjwt import SigningKey
from aiweb3.datasets import (
    MEDICAL_RECORD,
    DatasetPool,
    DatasetRef,
    RecordIssuer,
    issue_record,
    present_record,
)
from aiweb3.datasets.example import breast_cancer_policy, breast_cancer_records
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.network import DataContribution, DataSource, NetworkSpec, Subnet, SubnetParams, run_network

pytestmark = pytest.mark.usefixtures("chain_isolation")
PARAMS = SubnetParams(commit_period=20, reveal_period=20, data_reward_per_epoch=90 * 10**6)


def _contribute(pool: DatasetPool, ds: int, hospital: RecordIssuer, holder: LocalAccount, index: int) -> int:
    record = breast_cancer_records(index + 1)[index]
    held = issue_record(MEDICAL_RECORD, record, hospital, copies=1)
    ref = DatasetRef(pool.chain.chain_id, pool.address, ds)
    c = present_record(
        held, MEDICAL_RECORD, breast_cancer_policy(1), ref, holder.address, iat=pool.chain.block_time()
    )
    cid, _ = pool.contribute(holder, ds, c.content_digest, holder.address, c.authorization)
    return cid


def test_accepted_records_used_in_a_round_share_its_data_reward(
    chain: Chain,
    deployments: dict[str, Deployment],
    deployer: LocalAccount,
    accounts: list[LocalAccount],
    aiweb3_home: Path,
) -> None:
    pool = DatasetPool.from_home(chain, aiweb3_home)
    hospital = RecordIssuer("https://hospital.example", SigningKey.generate("ES256"))
    pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    creator, curator, sponsor = accounts[0], accounts[1], accounts[2]
    holders = accounts[3:6]

    def dataset() -> int:
        return pool.create_dataset(
            creator, MEDICAL_RECORD, breast_cancer_policy(1), "bafy-policy", curator=curator.address,
            reward=10**6, budget=5 * 10**6, review_window=3600,
        )  # fmt: skip

    ds, other = dataset(), dataset()
    accepted = [_contribute(pool, ds, hospital, h, i) for i, h in enumerate(holders[:2])]
    for cid in accepted:
        pool.accept(curator, cid, hospital.thumbprint)
    pending = _contribute(pool, ds, hospital, holders[2], 2)
    elsewhere = _contribute(pool, other, hospital, holders[2], 3)
    pool.accept(curator, elsewhere, hospital.thumbprint)

    subnet = Subnet.deploy(
        chain, sponsor, deployments["AIUSD"].address, PARAMS, dataset_pool=pool.address, dataset_id=ds
    )
    subnet.fund_pool(sponsor, 1_000 * 10**6)
    with pytest.raises(TransactionReverted, match="EpochNotFinalized"):
        subnet.reward_data(sponsor, 1, accepted)
    subnet.dev_advance_to(subnet.phase()[2])
    subnet.finalize(sponsor)
    with pytest.raises(TransactionReverted, match="NotSponsor"):
        subnet.reward_data(holders[0], 1, accepted)
    with pytest.raises(TransactionReverted, match="NotUsableContribution"):
        subnet.reward_data(sponsor, 1, [*accepted, pending])  # not accepted (yet)
    with pytest.raises(TransactionReverted, match="NotUsableContribution"):
        subnet.reward_data(sponsor, 1, [*accepted, elsewhere])  # accepted, but in another dataset
    with pytest.raises(TransactionReverted, match="DuplicateContribution"):
        subnet.chain.transact(sponsor, subnet.contract.functions.rewardData(1, [accepted[0], accepted[0]]))

    pool_before = subnet.balances()["emission_pool"]
    per_record = subnet.reward_data(sponsor, 1, accepted)
    assert per_record == PARAMS.data_reward_per_epoch // 2
    assert [subnet.owed(h.address) for h in holders] == [per_record, per_record, 0]
    assert subnet.balances()["emission_pool"] == pool_before - 2 * per_record
    with pytest.raises(TransactionReverted, match="DataAlreadyRewarded"):
        subnet.reward_data(sponsor, 1, accepted)
    assert subnet.claim(holders[0]) == per_record
    b = subnet.balances()
    assert b["token_balance"] == b["emission_pool"] + b["total_staked"] + b["total_owed"]


def test_a_run_with_data_contributions_needs_a_data_reward_and_their_data_set(
    chain: Chain, deployer: LocalAccount, tmp_path: Path
) -> None:
    data = DataSource("0x" + "11" * 20, 1, [DataContribution(1, deployer.address, 0, True)])
    token = "0x" + "22" * 20

    def run(spec: NetworkSpec) -> None:
        run_network(chain, token, deployer, [deployer] * 2, [deployer], spec, tmp_path, data=data)

    unpaid = NetworkSpec(["honest", "honest"], [10**8], dataset="breast_cancer", subnet=SubnetParams())
    with pytest.raises(InputError, match="data_reward_per_epoch > 0"):
        run(unpaid)
    with pytest.raises(InputError, match="the contributed records are breast-cancer rows"):
        run(NetworkSpec(["honest", "honest"], [10**8], dataset="digits", subnet=PARAMS))
