"""The AI liquidity vault on the real pool: a rebalance is accepted only with a verified proof of
the registered strategy model on the features the vault recomputes from the pool; every other
attempt is refused by the contract."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.defi import LocalMarket, approve_max, defi_up, mint_tokens, swap_exact_input
from aiweb3.defi.market import (
    HISTORIES,
    MarketConfig,
    MarketSimulator,
    fit_price_model,
    load_history,
    price_path,
)
from aiweb3.defi.vault import ProvenKeeper, Vault, VaultConfig, system_registry
from aiweb3.defi.vault_model import StrategyConfig, strategy_onnx, train_strategy, training_set
from aiweb3.errors import TransactionReverted
from aiweb3.zkml import FIELD_MODULUS, CompiledModel, CompileOptions, Model

UNIT = 10**18
WINDOW = 600  # seconds per TWAP window in these tests (three windows of history are needed)
CONFIG = VaultConfig(twap_window=WINDOW, max_twap_deviation=600, limit_width=600, max_half_width=200)


def _strategy(home: Path, tmp: Path, seed: int) -> CompiledModel:
    prices = fit_price_model(load_history("BTCUSD"), steps_per_bar=HISTORIES["BTCUSD"], jumps=True)
    x, y = training_set(prices, StrategyConfig(), range(seed, seed + 4), steps=24 * 10)
    trained = train_strategy(x, y, 128, seed=seed, epochs=200)
    onnx_path = strategy_onnx(trained, tmp / f"strategy-{seed}.onnx")
    samples = [[list(row / 128)] for row in x[:8]]
    model = Model.from_onnx(onnx_path, home=home).compile(samples, CompileOptions(input_visibility="public"))
    return model


@pytest.fixture(scope="module")
def market(chain: Chain, deployer: LocalAccount, aiweb3_home: Path) -> LocalMarket:
    return defi_up(chain, deployer, aiweb3_home)


@pytest.fixture(scope="module")
def models(
    chain: Chain, deployer: LocalAccount, aiweb3_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CompiledModel, CompiledModel]:
    """The vault's strategy model and another one (other weights), both registered."""
    tmp = tmp_path_factory.mktemp("strategies")
    ours, other = _strategy(aiweb3_home, tmp, 0), _strategy(aiweb3_home, tmp, 7)
    assert ours.model_id != other.model_id
    for m in (ours, other):
        m.register(chain, deployer)
    return ours, other


@pytest.fixture(scope="module")
def trader(chain: Chain, market: LocalMarket, accounts: list[LocalAccount]) -> LocalAccount:
    who = accounts[2]
    for token in (market.base.address, market.quote.address):
        mint_tokens(chain, who, token, who.address, 10**9 * UNIT)
        approve_max(chain, who, token, market.uni.router)
    # three windows of trading history for the pool's observe()
    path = price_path(fit_price_model(load_history("GOOG"), 24), 12, market.base_price(), seed=5)[1:]
    MarketSimulator(chain, market, who, MarketConfig(step_seconds=WINDOW // 3), seed=5).run(
        path, batch_steps=3
    )
    return who


@pytest.fixture
def proven(
    chain: Chain,
    deployer: LocalAccount,
    market: LocalMarket,
    models: tuple[CompiledModel, CompiledModel],
    trader: LocalAccount,
    aiweb3_home: Path,
    accounts: list[LocalAccount],
    chain_isolation: Chain,
) -> tuple[Vault, ProvenKeeper]:
    lp = accounts[3]
    vault = Vault.deploy(
        chain, deployer, market.pool, keeper=deployer.address, config=CONFIG,
        model=models[0], registry=system_registry(chain, aiweb3_home),
    )  # fmt: skip
    for token in (market.base.address, market.quote.address):
        mint_tokens(chain, lp, token, lp.address, 10**6 * UNIT)
    vault.deposit(lp, 10 * UNIT, 10 * UNIT)
    return vault, ProvenKeeper(vault, models[0], accounts[4])


def _reason(exc: pytest.ExceptionInfo[TransactionReverted]) -> str:
    return f"{exc.value.error_name} {exc.value}"


def test_proven_rebalance_sets_the_models_range(chain: Chain, proven: tuple[Vault, ProvenKeeper]) -> None:
    vault, keeper = proven
    proof = keeper.propose()
    assert [i * 64 for i in vault.features()] == [
        v if v < 2**128 else v - FIELD_MODULUS for v in proof.instances[:4]
    ]
    receipt = vault.rebalance_with_proof(keeper.signer, proof)
    event = chain.events(vault.contract, "Rebalance", receipt)[0]
    spacing = vault.pool.tick_spacing
    half = max(1, min(200, round(keeper.half_width(proof)))) * spacing
    centre = event["tick"] // spacing * spacing
    assert (event["baseLower"], event["baseUpper"]) == (centre - half, centre + half)
    assert event["proven"] is True and vault.base_range() == (centre - half, centre + half)
    t0, t1 = vault.total_amounts()
    assert t0 > 0 and t1 > 0
    assert int(receipt["gasUsed"]) > 300_000  # the proof was verified on chain


def test_rebalance_without_a_valid_proof_is_refused(
    chain: Chain,
    proven: tuple[Vault, ProvenKeeper],
    models: tuple[CompiledModel, CompiledModel],
    market: LocalMarket,
    trader: LocalAccount,
    deployer: LocalAccount,
) -> None:
    vault, keeper = proven
    # no proof at all: the keeper's unproven path is closed in proven mode
    with pytest.raises(TransactionReverted) as exc:
        vault.rebalance(deployer, -600, 600)
    assert "ProofRequired" in _reason(exc)
    good = keeper.propose()
    # a tampered decision: another output with the same proof
    tampered = replace(good, instances=[*good.instances[:4], good.instances[4] + 2**13])
    with pytest.raises(TransactionReverted) as exc:
        vault.rebalance_with_proof(keeper.signer, tampered)
    assert "InvalidProof" in _reason(exc)
    # a proof of another model on the very same inputs
    other = models[1].prove([[v / 128 for v in vault.features()]])
    assert other.instances[:4] == good.instances[:4]
    with pytest.raises(TransactionReverted) as exc:
        vault.rebalance_with_proof(keeper.signer, other)
    assert "InvalidProof" in _reason(exc)
    # tampered inputs: a feature changed
    forged = replace(good, instances=[good.instances[0] + 64, *good.instances[1:]])
    with pytest.raises(TransactionReverted) as exc:
        vault.rebalance_with_proof(keeper.signer, forged)
    assert "StaleInput" in _reason(exc)
    # stale chain inputs: the pool moved after the proof was made
    sell_base = market.base_is_token0
    swap_exact_input(
        chain, trader, market.uni, market.pool, zero_for_one=sell_base, amount_in=5 * UNIT, min_out=0
    )
    with pytest.raises(TransactionReverted) as exc:
        vault.rebalance_with_proof(keeper.signer, good)
    assert "StaleInput" in _reason(exc)
    # a fresh proof on the new state goes through
    vault.rebalance_with_proof(keeper.signer, keeper.propose())


def test_guards_refuse_bad_ranges_and_manipulated_prices(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, trader: LocalAccount, chain_isolation: Chain
) -> None:
    vault = Vault.deploy(chain, deployer, market.pool, keeper=deployer.address, config=CONFIG)
    spacing = market.pool.tick_spacing
    for lower, upper in ((-887280, 0), (600, 0), (0, 887280), (1, 601)):
        with pytest.raises(TransactionReverted) as exc:
            vault.rebalance(deployer, lower, upper)
        assert "BadRange" in _reason(exc)
    with pytest.raises(TransactionReverted) as exc:
        vault.rebalance(trader, -spacing, spacing)
    assert "NotKeeper" in _reason(exc)
    # the price pushed far from its TWAP within one block: the TWAP guard refuses
    sell_base = market.base_is_token0
    swap_exact_input(
        chain, trader, market.uni, market.pool, zero_for_one=sell_base, amount_in=300 * UNIT, min_out=0
    )
    tick = market.pool.slot0()[1] // spacing * spacing
    with pytest.raises(TransactionReverted) as exc:
        vault.rebalance(deployer, tick - 10 * spacing, tick + 10 * spacing)
    assert "PriceDeviates" in _reason(exc)
