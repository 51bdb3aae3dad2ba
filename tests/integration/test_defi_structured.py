"""The structured vault on the real pool and a real LendingMarket: an epoch's split between
lending and liquidity is accepted only with a verified proof of the registered allocation model
on the inputs the vault recomputes from chain state; every other attempt is refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.defi import LocalMarket, approve_max, defi_up, mint_tokens
from aiweb3.defi.lending import WAD, LendingMarket, deploy_market, deploy_twap_oracle
from aiweb3.defi.market import (
    HISTORIES,
    MarketConfig,
    MarketSimulator,
    fit_price_model,
    load_history,
    price_path,
)
from aiweb3.defi.structured import (
    AllocationKeeper,
    StructuredConfig,
    StructuredVault,
    compile_allocation_model,
)
from aiweb3.defi.structured_model import (
    AllocationConfig,
    allocation_onnx,
    allocation_training_set,
    train_allocation,
)
from aiweb3.defi.vault import system_registry
from aiweb3.errors import TransactionReverted
from aiweb3.zkml import CompiledModel

UNIT = 10**18
WINDOW = 600  # seconds per TWAP window in these tests
CONFIG = StructuredConfig(twap_window=WINDOW, epoch_seconds=3600, max_twap_deviation=600)


def _model(home: Path, tmp: Path, seed: int, offset: float = 0.0) -> CompiledModel:
    prices = fit_price_model(load_history("BTCUSD"), steps_per_bar=HISTORIES["BTCUSD"], jumps=True)
    x, y = allocation_training_set(prices, AllocationConfig(), range(100 + seed, 103 + seed), steps=24 * 10)
    weights = train_allocation(x, y, seed=seed, epochs=150)
    path = allocation_onnx(weights, tmp / f"allocation-{seed}-{offset}.onnx", offset=offset)
    return compile_allocation_model(path, home)


@pytest.fixture(scope="module")
def market(chain: Chain, deployer: LocalAccount, aiweb3_home: Path) -> LocalMarket:
    return defi_up(chain, deployer, aiweb3_home)


@pytest.fixture(scope="module")
def models(
    chain: Chain, deployer: LocalAccount, aiweb3_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CompiledModel, CompiledModel, CompiledModel]:
    """The vault's allocation model, another one (other weights) and one whose output is 1.5 too
    high and unclipped, all registered."""
    tmp = tmp_path_factory.mktemp("allocation")
    ours, other, wild = (
        _model(aiweb3_home, tmp, 0),
        _model(aiweb3_home, tmp, 7),
        _model(aiweb3_home, tmp, 0, 1.5),
    )
    assert len({ours.model_id, other.model_id, wild.model_id}) == 3
    for m in (ours, other, wild):
        m.register(chain, deployer)
    return ours, other, wild


@pytest.fixture(scope="module")
def trader(chain: Chain, market: LocalMarket, accounts: list[LocalAccount]) -> LocalAccount:
    who = accounts[2]
    for token in (market.base.address, market.quote.address):
        mint_tokens(chain, who, token, who.address, 10**9 * UNIT)
        approve_max(chain, who, token, market.uni.router)
    # four windows of trading history for the pool's observe()
    path = price_path(fit_price_model(load_history("GOOG"), 24), 15, market.base_price(), seed=5)[1:]
    MarketSimulator(chain, market, who, MarketConfig(step_seconds=WINDOW // 3), seed=5).run(
        path, batch_steps=3
    )
    return who


@pytest.fixture(scope="module")
def lending(
    chain: Chain,
    deployer: LocalAccount,
    market: LocalMarket,
    trader: LocalAccount,
    accounts: list[LocalAccount],
) -> LendingMarket:
    """A market on the pool's TWAP, half lent out."""
    lender, borrower = accounts[5], accounts[6]
    oracle = deploy_twap_oracle(chain, deployer, market.pool.address, market.base.address, WINDOW)
    lend = deploy_market(chain, deployer, market.base.address, market.quote.address, oracle.address)
    mint_tokens(chain, lender, market.quote.address, lender.address, 10**6 * UNIT)
    lend.supply(lender, 10**6 * UNIT)
    mint_tokens(chain, borrower, market.base.address, borrower.address, 10**4 * UNIT)
    lend.deposit(borrower, 10**4 * UNIT)
    lend.borrow(borrower, 5 * 10**5 * UNIT)
    return lend


def _deploy(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, lending: LendingMarket, home: Path,
    model: CompiledModel | None, lp: LocalAccount,
) -> StructuredVault:  # fmt: skip
    vault = StructuredVault.deploy(
        chain, deployer, market.pool, lending, keeper=deployer.address, config=CONFIG,
        model=model, registry=system_registry(chain, home) if model else None,
    )  # fmt: skip
    for token in (market.base.address, market.quote.address):
        mint_tokens(chain, lp, token, lp.address, 10**6 * UNIT)
    vault.deposit(lp, 20_000 * UNIT, 10 * UNIT)
    return vault


def _reason(exc: pytest.ExceptionInfo[TransactionReverted]) -> str:
    return f"{exc.value.error_name} {exc.value}"


def test_proven_epoch_splits_the_vault_as_the_model_decided(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, lending: LendingMarket, aiweb3_home: Path,
    models: tuple[CompiledModel, ...], accounts: list[LocalAccount], chain_isolation: Chain,
) -> None:  # fmt: skip
    lp = accounts[3]
    vault = _deploy(chain, deployer, market, lending, aiweb3_home, models[0], lp)
    keeper = AllocationKeeper(vault, models[0], accounts[4])
    features = vault.features()
    assert features[1] == lending.rates()["utilisation"] * 10_000 // WAD > 4000
    proof = keeper.propose()
    expected = [int(v) for v in vault.chain.call(vault.contract.functions.featureInstances())]
    assert [int(v) for v in proof.instances[:3]] == expected
    receipt = vault.allocate_with_proof(keeper.signer, proof)
    event = chain.events(vault.contract, "Allocated", receipt)[0]
    bps = round(keeper.allocation(proof) * 10_000)
    assert event["proven"] is True and abs(event["allocationBps"] - bps) <= 1
    assert 0 <= event["allocationBps"] <= 10_000
    assets, others = vault.total_amounts()
    value = assets + others * market.base_price()
    # what is lent is the part the model did not put into liquidity (within swap costs)
    assert abs(vault.lent() / value - (1 - event["allocationBps"] / 10_000)) < 0.02
    assert int(receipt["gasUsed"]) > 300_000  # the proof was verified on chain
    # the next epoch is not due yet
    with pytest.raises(TransactionReverted) as exc:
        vault.allocate_with_proof(keeper.signer, keeper.propose())
    assert "EpochNotDue" in _reason(exc)
    # everyone gets their share back, the lent part with interest
    chain.rpc("evm_increaseTime", [3 * 86400])
    chain.rpc("evm_mine", [])
    shares = vault.shares_of(lp.address)
    got_assets, _ = vault.withdraw(lp, shares)
    assert got_assets > 0 and vault.lent() < 10**16


def test_an_epoch_without_a_valid_proof_is_refused(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, lending: LendingMarket, aiweb3_home: Path,
    models: tuple[CompiledModel, ...], accounts: list[LocalAccount], chain_isolation: Chain,
) -> None:  # fmt: skip
    vault = _deploy(chain, deployer, market, lending, aiweb3_home, models[0], accounts[3])
    keeper = AllocationKeeper(vault, models[0], accounts[4])
    # no proof: the keeper's unproven path is closed in proven mode
    with pytest.raises(TransactionReverted) as exc:
        vault.allocate(deployer, 5_000)
    assert "ProofRequired" in _reason(exc)
    good = keeper.propose()
    # a tampered decision: another output with the same proof
    tampered = replace(good, instances=[*good.instances[:3], (good.instances[3] + 2**10) % 2**20])
    with pytest.raises(TransactionReverted) as exc:
        vault.allocate_with_proof(keeper.signer, tampered)
    assert "InvalidProof" in _reason(exc) or "AllocationOutOfRange" in _reason(exc)
    # a proof of another model on the very same inputs
    other = models[1].prove([[v / 128 for v in vault.features()]])
    assert other.instances[:3] == good.instances[:3]
    with pytest.raises(TransactionReverted) as exc:
        vault.allocate_with_proof(keeper.signer, other)
    assert "InvalidProof" in _reason(exc)
    # tampered inputs: the utilisation claimed lower than the market's
    forged = replace(good, instances=[good.instances[0], good.instances[1] - 500 * 64, *good.instances[2:]])
    with pytest.raises(TransactionReverted) as exc:
        vault.allocate_with_proof(keeper.signer, forged)
    assert "StaleInput" in _reason(exc)
    # stale chain inputs: a borrower repaid after the proof was made (utilisation fell)
    borrower = accounts[6]
    lending.repay(borrower, 2 * 10**5 * UNIT)
    with pytest.raises(TransactionReverted) as exc:
        vault.allocate_with_proof(keeper.signer, good)
    assert "StaleInput" in _reason(exc)
    # a fresh proof on the new state goes through
    vault.allocate_with_proof(keeper.signer, keeper.propose())


def test_an_allocation_outside_zero_to_one_is_refused(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, lending: LendingMarket, aiweb3_home: Path,
    models: tuple[CompiledModel, ...], accounts: list[LocalAccount], chain_isolation: Chain,
) -> None:  # fmt: skip
    wild = models[2]
    vault = _deploy(chain, deployer, market, lending, aiweb3_home, wild, accounts[3])
    keeper = AllocationKeeper(vault, wild, accounts[4])
    proof = keeper.propose()
    assert keeper.allocation(proof) > 1.0  # a valid proof of a registered model, out of range
    with pytest.raises(TransactionReverted) as exc:
        vault.allocate_with_proof(keeper.signer, proof)
    assert "AllocationOutOfRange" in _reason(exc)
    # the unproven baselines are held to the same range, and only the keeper allocates
    plain = _deploy(chain, deployer, market, lending, aiweb3_home, None, accounts[3])
    with pytest.raises(TransactionReverted) as exc:
        plain.allocate(deployer, 10_001)
    assert "AllocationOutOfRange" in _reason(exc)
    with pytest.raises(TransactionReverted) as exc:
        plain.allocate(accounts[4], 5_000)
    assert "NotKeeper" in _reason(exc)


def test_baseline_allocations_lend_or_provide_everything(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, lending: LendingMarket, aiweb3_home: Path,
    accounts: list[LocalAccount], chain_isolation: Chain,
) -> None:  # fmt: skip
    vault = _deploy(chain, deployer, market, lending, aiweb3_home, None, accounts[3])
    vault.allocate(deployer, 0)
    assets, others = vault.total_amounts()
    assert others < 10**15 and vault.lent() >= assets - 10**6  # everything sold and lent
    chain.rpc("evm_increaseTime", [3600])
    chain.rpc("evm_mine", [])
    vault.allocate(deployer, 10_000)
    assets, others = vault.total_amounts()
    value = assets + others * market.base_price()
    assert vault.lent() < value * 0.01 and others * market.base_price() > value * 0.45
