"""The Subnet contract on the real node: Yuma consensus equals the numpy reference on random
cases; whole epochs through commit-reveal pay by it; bad input is refused with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.network.subnet import Role, Subnet, SubnetParams
from aiweb3.network.yuma import WAD, YumaParams, yuma_epoch

PARAMS = SubnetParams(
    min_stake=100 * 10**6,
    emission_per_epoch=1_000 * 10**6,
    commit_period=30,
    reveal_period=30,
    yuma=YumaParams(kappa=0.5, beta=0.8, alpha=0.1, xi=0.5),
)
#: subtensor's documented incentive rule (normalised ranks) instead of the consensus weights
DOCUMENTED = replace(PARAMS, yuma=replace(PARAMS.yuma, median_incentive=False))
TOL = 1e-12  # fixed point (1e-18 per rounding) against float64


@pytest.fixture(scope="module")
def subnet(
    module_chain_isolation: Chain, deployments: dict[str, Deployment], accounts: list[LocalAccount]
) -> Iterator[Subnet]:
    yield Subnet.deploy(module_chain_isolation, accounts[0], deployments["AIUSD"].address, PARAMS)


@pytest.fixture(scope="module")
def documented(
    module_chain_isolation: Chain, deployments: dict[str, Deployment], accounts: list[LocalAccount]
) -> Iterator[Subnet]:
    yield Subnet.deploy(module_chain_isolation, accounts[0], deployments["AIUSD"].address, DOCUMENTED)


@st.composite
def epochs(draw: st.DrawFn) -> tuple[list[int], list[list[int]], list[list[int]]]:
    nv = draw(st.integers(1, 8))
    nm = draw(st.integers(1, 12))
    stakes = draw(st.lists(st.sampled_from([0, 1, 5, 10**6, 10**8, 3 * 10**9]), min_size=nv, max_size=nv))
    weight = st.one_of(st.just(0), st.just(65535), st.integers(0, 65535))
    weights = draw(st.lists(st.lists(weight, min_size=nm, max_size=nm), min_size=nv, max_size=nv))
    bond = st.one_of(st.just(0), st.integers(0, WAD))
    bonds = draw(st.lists(st.lists(bond, min_size=nm, max_size=nm), min_size=nv, max_size=nv))
    return stakes, weights, bonds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=epochs())
def test_contract_yuma_equals_numpy_reference(
    subnet: Subnet, documented: Subnet, case: tuple[list[int], list[list[int]], list[list[int]]]
) -> None:
    stakes, weights, bonds = case
    for contract, params in ((subnet, PARAMS), (documented, DOCUMENTED)):
        ours = contract.compute_epoch(stakes, weights, bonds)
        ref = yuma_epoch(stakes, weights, np.array(bonds, dtype=np.float64) / WAD, params.yuma)
        for name in ("consensus", "ranks", "incentive", "dividends"):
            got = np.array(ours[name], dtype=np.float64) / WAD
            np.testing.assert_allclose(got, getattr(ref, name), rtol=0, atol=TOL, err_msg=name)
        bonds_got = np.array(ours["bonds"], dtype=np.float64) / WAD
        np.testing.assert_allclose(bonds_got, ref.bonds, rtol=0, atol=TOL)
        # shares of 1 really add up to 1 (minus rounding) or are all zero
        for name in ("incentive", "dividends"):
            total = sum(ours[name])
            assert total == 0 or WAD - len(ours[name]) <= total <= WAD


def _run_epoch(
    subnet: Subnet, validators: list[LocalAccount], weights: list[list[int]], caller: LocalAccount
) -> object:
    salts = [subnet.commit_weights(v, w) for v, w in zip(validators, weights, strict=True)]
    _, reveal_opens, ends_at = subnet.phase()
    subnet.dev_advance_to(reveal_opens)
    for v, w, salt in zip(validators, weights, salts, strict=True):
        subnet.reveal_weights(v, w, salt)
    subnet.dev_advance_to(ends_at)
    return subnet.finalize(caller)


def test_epochs_pay_by_consensus_and_every_token_is_accounted_for(
    subnet: Subnet, accounts: list[LocalAccount]
) -> None:
    sponsor, miners, validators = accounts[0], accounts[1:5], accounts[5:8]
    snap = subnet.chain.snapshot()
    try:
        stakes = [300 * 10**6, 250 * 10**6, 200 * 10**6]  # validator 2 (27%) is a cabal for miner 3
        for m in miners:
            subnet.register(m, Role.MINER, PARAMS.min_stake)
        for v, s in zip(validators, stakes, strict=True):
            subnet.register(v, Role.VALIDATOR, s)
        subnet.fund_pool(sponsor, 5 * PARAMS.emission_per_epoch)
        # epoch 1 scored no miners (none were registered when it began): nothing is emitted
        first = _run_epoch(subnet, validators, [[], [], []], sponsor)
        assert first.emitted == 0 and first.incentive == []
        weights = [[40000, 30000, 20000, 0], [38000, 32000, 21000, 0], [1000, 1000, 1000, 65535]]
        bonds = [[0] * 4 for _ in validators]
        for epoch in (2, 3):
            outcome = _run_epoch(subnet, validators, weights, sponsor)
            ref = yuma_epoch(stakes, weights, np.array(bonds, dtype=np.float64) / WAD, PARAMS.yuma)
            assert outcome.epoch == epoch
            np.testing.assert_allclose(np.array(outcome.incentive) / WAD, ref.incentive, atol=TOL)
            np.testing.assert_allclose(np.array(outcome.dividends) / WAD, ref.dividends, atol=TOL)
            assert outcome.incentive[3] == 0  # the cabal's miner gets nothing
            assert outcome.miner_rewards[3] == 0
            bonds = [subnet.bonds(i) for i in range(3)]
            np.testing.assert_allclose(np.array(bonds) / WAD, ref.bonds, atol=TOL)
            assert outcome.emitted <= PARAMS.emission_per_epoch
            assert outcome.emitted >= PARAMS.emission_per_epoch - 10  # rounding dust only
        # rewards are claimable; stake comes back after an exit; nothing is stuck
        owed = subnet.owed(miners[0].address)
        before = int(subnet.chain.call(subnet.token.functions.balanceOf(miners[0].address)))
        assert subnet.claim(miners[0]) == owed > 0
        subnet.exit(miners[0])
        with pytest.raises(TransactionReverted, match="NotWithdrawable"):
            subnet.withdraw_stake(miners[0])
        _run_epoch(subnet, validators, weights, sponsor)
        subnet.withdraw_stake(miners[0])
        after = int(subnet.chain.call(subnet.token.functions.balanceOf(miners[0].address)))
        assert after - before == owed + PARAMS.min_stake
        b = subnet.balances()
        assert b["token_balance"] == b["emission_pool"] + b["total_staked"] + b["total_owed"]
    finally:
        subnet.chain.revert(snap)


def test_bad_input_is_refused_with_its_reason(subnet: Subnet, accounts: list[LocalAccount]) -> None:
    miner, validator, outsider = accounts[1], accounts[2], accounts[3]
    snap = subnet.chain.snapshot()
    try:
        with pytest.raises(InputError, match="below the subnet's minimum"):
            subnet.register(miner, Role.MINER, PARAMS.min_stake - 1)
        subnet.chain.transact(miner, subnet.token.functions.approve(subnet.address, 1))
        with pytest.raises(TransactionReverted, match="StakeBelowMinimum"):
            subnet.chain.transact(miner, subnet.contract.functions.register(1, 1))
        subnet.register(miner, Role.MINER, PARAMS.min_stake)
        subnet.register(validator, Role.VALIDATOR, PARAMS.min_stake)
        with pytest.raises(TransactionReverted, match="AlreadyRegistered"):
            subnet.register(miner, Role.VALIDATOR, PARAMS.min_stake)
        _, _, ends_at = subnet.phase()
        subnet.dev_advance_to(ends_at)
        subnet.finalize(validator)  # the miner is scored from epoch 2 on
        with pytest.raises(TransactionReverted, match="NotValidator"):
            subnet.commit_weights(outsider, [1])
        with pytest.raises(TransactionReverted, match="NotValidator"):
            subnet.commit_weights(miner, [1])
        with pytest.raises(InputError, match="2 weights given, but this epoch scores 1 miners"):
            subnet.commit_weights(validator, [1, 2])
        with pytest.raises(InputError, match=r"0\.\.65535"):
            subnet.commit_weights(validator, [70000])
        salt = subnet.commit_weights(validator, [65535])
        with pytest.raises(TransactionReverted, match="WrongPhase"):
            subnet.reveal_weights(validator, [65535], salt)
        _, reveal_opens, ends_at = subnet.phase()
        subnet.dev_advance_to(reveal_opens)
        with pytest.raises(TransactionReverted, match="RevealMismatch"):
            subnet.reveal_weights(validator, [65534], salt)
        with pytest.raises(TransactionReverted, match="RevealMismatch"):
            subnet.reveal_weights(validator, [65535], b"\x00" * 32)
        with pytest.raises(TransactionReverted, match="WrongPhase"):
            subnet.commit_weights(validator, [1])
        subnet.reveal_weights(validator, [65535], salt)
        with pytest.raises(TransactionReverted, match="AlreadyRevealed"):
            subnet.reveal_weights(validator, [65535], salt)
        with pytest.raises(TransactionReverted, match="EpochNotOver"):
            subnet.finalize(validator)
        # another validator cannot replay the revealed weights: commitments bind the sender
        assert subnet.commitment(2, validator.address, [65535], salt) != subnet.commitment(
            2, outsider.address, [65535], salt
        )
    finally:
        subnet.chain.revert(snap)
