"""Liquidation protection end to end: real ezkl proofs of the risk model, verified through the
session's ModelRegistry by LiquidationGuard, acting on a real LendingMarket.

The market is priced by the test-only settable oracle here, so a crash is one call (the spot
price leads the average, as a pool's tick leads its TWAP); test_defi_twap.py prices it from a
real Uniswap v3 pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, Deployment, artifact
from aiweb3.defi.lending import WAD, LendingMarket, deploy_market, deploy_test_token
from aiweb3.defi.lending_models import network_onnx
from aiweb3.defi.protect import (
    GuardClient,
    ProtectionKeeper,
    RiskModel,
    build_risk_model,
    calibration_samples,
    deploy_guard,
    train_risk_network,
)
from aiweb3.errors import TransactionReverted
from aiweb3.zkml import CompileOptions, Model

UNIT = 10**18


@dataclass
class Setup:
    chain: Chain
    market: LendingMarket
    guard: GuardClient
    keeper: ProtectionKeeper
    borrower: LocalAccount
    other: LocalAccount
    operator: LocalAccount
    set_prices: Callable[[int, int], None]


@pytest.fixture(scope="module")
def risk(aiweb3_home: Path) -> RiskModel:
    return build_risk_model(aiweb3_home)


@pytest.fixture(scope="module")
def setup(
    module_chain_isolation: Chain,
    deployer: LocalAccount,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
    risk: RiskModel,
) -> Iterator[Setup]:
    chain = module_chain_isolation
    risk.register(chain, deployer)
    weth = deploy_test_token(chain, deployer, "Wrapped Ether", "WETH")
    usd = deploy_test_token(chain, deployer, "Test Dollar", "TUSD")
    art = artifact("TestPriceOracle")
    oracle_addr, _ = chain.deploy(deployer, art.abi, art.bytecode, 2_000 * WAD)
    oracle = chain.contract(art.abi, oracle_addr)
    market = deploy_market(chain, deployer, weth.address, usd.address, oracle_addr)
    lender, borrower, other, operator = accounts[0], accounts[1], accounts[2], accounts[3]
    chain.transact(deployer, usd.functions.mint(lender.address, 10**6 * UNIT))
    market.supply(lender, 10**6 * UNIT)
    for who in (borrower, other):
        chain.transact(deployer, weth.functions.mint(who.address, 100 * UNIT))
        chain.transact(deployer, usd.functions.mint(who.address, 50_000 * UNIT))
        market.deposit(who, 10 * UNIT)
        # 10 WETH at 2,000 and threshold 0.8: debt 12,000 puts the health factor at 1.33
        market.borrow(who, 12_000 * UNIT)
    guard = deploy_guard(chain, deployer, market, risk, deployments["ModelRegistry"].address)

    def set_prices(twap: int, spot: int) -> None:
        chain.transact(deployer, oracle.functions.set(twap * WAD, spot * WAD))

    yield Setup(chain, market, guard, ProtectionKeeper(guard, risk), borrower, other, operator, set_prices)


def _wallet(s: Setup, token: Contract, who: LocalAccount) -> int:
    return int(s.chain.call(token.functions.balanceOf(who.address)))


def test_calm_market_needs_no_action(setup: Setup) -> None:
    setup.set_prices(2_000, 2_000)
    setup.guard.enroll(setup.borrower, "repay", 20_000 * UNIT)
    step = setup.keeper.step(setup.operator, setup.borrower.address)
    assert not step.acted
    assert step.share < 0.01
    assert step.inputs[0] == pytest.approx(4 / 3, abs=0.01)


def test_crash_is_deleveraged_with_a_proven_decision(setup: Setup) -> None:
    s = setup
    s.guard.enroll(s.borrower, "repay", 20_000 * UNIT)
    s.set_prices(2_000, 1_500)  # spot fell 25%; the average (the market's price) has not yet
    before = s.market.position(s.borrower.address)
    wallet_before = _wallet(s, s.market.debt, s.borrower)
    step = s.keeper.step(s.operator, s.borrower.address)
    assert step.acted and step.proof is not None and step.gas_used
    assert step.inputs[1] == pytest.approx(-0.25, abs=0.01)
    after = s.market.position(s.borrower.address)
    repaid = wallet_before - _wallet(s, s.market.debt, s.borrower)
    # the proven share (the output instance as a WAD) of the debt in the block the guard acted,
    # which has grown by a few seconds of interest since `before`
    out_scale = int(s.chain.call(s.guard.contract.functions.outputScale()))
    share = (step.proof.instances[2] * WAD) >> out_scale
    expected = before.debt * share // WAD
    assert expected <= repaid <= expected + expected // 10**5
    assert before.debt - repaid <= after.debt <= before.debt - repaid + before.debt // 10**5
    assert 0.03 < repaid / before.debt < 0.5
    assert after.health > before.health
    assert s.guard.budget(s.borrower.address) == 20_000 * UNIT - repaid
    # the same proof again: each proof acts once
    with pytest.raises(TransactionReverted, match="ProofAlreadyUsed"):
        s.guard.protect(s.operator, s.borrower.address, step.proof)


def test_collateral_mode_adds_collateral(setup: Setup) -> None:
    s = setup
    s.set_prices(2_000, 1_500)
    s.guard.enroll(s.other, "collateral", 50 * UNIT)
    before = s.market.position(s.other.address)
    step = s.keeper.step(s.operator, s.other.address)
    assert step.acted
    after = s.market.position(s.other.address)
    assert before.debt <= after.debt <= before.debt + before.debt // 10**5  # only seconds of interest
    assert after.collateral > before.collateral
    assert after.health > before.health


def test_tampered_and_foreign_decisions_are_refused(
    setup: Setup, risk: RiskModel, aiweb3_home: Path, tmp_path: Path
) -> None:
    s = setup
    s.set_prices(2_000, 1_400)
    s.guard.enroll(s.borrower, "repay", 20_000 * UNIT)
    values = s.guard.input_values(s.borrower.address)
    proof = risk.compiled.prove([values])
    # a larger output than the model produced
    forged = [*proof.instances[:2], proof.instances[2] * 3]
    with pytest.raises(TransactionReverted, match="InvalidProof"):
        s.chain.transact(
            s.operator, s.guard.contract.functions.protect(s.borrower.address, proof.proof, forged)
        )
    # inputs that are not the chain's: a health factor 0.05 higher (tolerance: 0.01)
    shifted = [proof.instances[0] + (1 << risk.input_scale) // 20, *proof.instances[1:]]
    with pytest.raises(TransactionReverted, match="StaleInput"):
        s.chain.transact(
            s.operator, s.guard.contract.functions.protect(s.borrower.address, proof.proof, shifted)
        )
    # a proof of another model on the same inputs (a network trained with another seed)
    rival = train_risk_network(seed=99, epochs=300)
    path = tmp_path / "rival.onnx"
    path.write_bytes(network_onnx(rival.weights, "rival", "features", "share"))
    compiled = Model.from_onnx(path, home=aiweb3_home).compile(
        calibration_samples(), CompileOptions(input_visibility="public")
    )
    foreign = compiled.prove([values])
    assert foreign.instances[:2] == proof.instances[:2]
    with pytest.raises(TransactionReverted, match="InvalidProof"):
        s.guard.protect(s.operator, s.borrower.address, foreign)
    # the price moved after proving (-30% -> -35%): stale
    s.set_prices(2_000, 1_300)
    with pytest.raises(TransactionReverted, match="StaleInput"):
        s.guard.protect(s.operator, s.borrower.address, proof)
    # a position that never enrolled
    with pytest.raises(TransactionReverted, match="NotEnrolled"):
        s.guard.protect(s.operator, s.operator.address, proof)


def test_guard_pulls_only_an_enrolled_borrowers_budget(setup: Setup, accounts: list[LocalAccount]) -> None:
    """The guard's transferFrom takes tokens from the borrower named in the call (Slither's
    arbitrary-send-erc20): an approval alone gives it nothing, the budget caps what it takes,
    and leaving ends it."""
    s = setup
    debt = s.market.debt
    bystander, capped = accounts[4], accounts[5]
    for who in (bystander, capped):
        s.chain.transact(who, s.market.collateral.functions.mint(who.address, 100 * UNIT))
        s.chain.transact(who, debt.functions.mint(who.address, 50_000 * UNIT))
        s.market.deposit(who, 10 * UNIT)
        s.market.borrow(who, 12_000 * UNIT)
        s.chain.transact(who, debt.functions.approve(s.guard.address, 2**256 - 1))
    s.set_prices(2_000, 1_500)
    # approved but never enrolled: nothing is pulled, whatever the proof
    values = s.guard.input_values(bystander.address)
    proof = s.keeper.model.compiled.prove([values])
    wallet = _wallet(s, debt, bystander)
    with pytest.raises(TransactionReverted, match="NotEnrolled"):
        s.guard.protect(s.operator, bystander.address, proof)
    assert _wallet(s, debt, bystander) == wallet
    # enrolled with a budget below the proven share: exactly the budget is pulled
    s.guard.enroll(capped, "repay", 10 * UNIT)
    wallet = _wallet(s, debt, capped)
    before = s.market.position(capped.address)
    step = s.keeper.step(s.operator, capped.address)
    assert step.acted and step.proof is not None
    assert step.share * before.debt > 10 * UNIT  # the model asked for more than the budget
    assert wallet - _wallet(s, debt, capped) == 10 * UNIT
    lowered = before.debt - s.market.position(capped.address).debt  # interest accrued meanwhile
    assert 10 * UNIT - before.debt // 10**5 <= lowered <= 10 * UNIT
    assert s.guard.budget(capped.address) == 0
    assert int(s.chain.call(debt.functions.balanceOf(s.guard.address))) == 0  # it keeps nothing
    # after leaving, the approval (still unlimited) gives the guard nothing either
    s.chain.transact(capped, s.guard.contract.functions.leave())
    s.chain.rpc("evm_mine", [])
    proof = s.keeper.model.compiled.prove([s.guard.input_values(capped.address)])
    wallet = _wallet(s, debt, capped)
    with pytest.raises(TransactionReverted, match="NotEnrolled"):
        s.guard.protect(s.operator, capped.address, proof)
    assert _wallet(s, debt, capped) == wallet
