"""The lending market priced by a real Uniswap v3 pool's TWAP (UniV3TwapOracle), with liquidation
protection by the proven risk model and liquidation of an unprotected borrower after a crash.

The crash is a real swap that moves the pool's tick; the average follows as the node's clock
moves on, which is the lag the risk model reads (spot / TWAP - 1).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.defi import LocalMarket, approve_max, defi_up, mint_tokens, swap_exact_input
from aiweb3.defi.lending import WAD, deploy_market, deploy_twap_oracle
from aiweb3.defi.protect import ProtectionKeeper, build_risk_model, deploy_guard
from aiweb3.errors import InputError, TransactionReverted

UNIT = 10**18
WINDOW = 600


def _advance(chain: Chain, seconds: int) -> None:
    chain.rpc("evm_increaseTime", [seconds])
    chain.rpc("evm_mine", [])


@pytest.fixture(scope="module")
def v3(module_chain_isolation: Chain, deployer: LocalAccount, module_home: Path) -> LocalMarket:
    market = defi_up(module_chain_isolation, deployer, module_home)
    _advance(module_chain_isolation, WINDOW + 60)  # history for the average
    return market


def test_oracle_prices_match_the_pool(chain: Chain, deployer: LocalAccount, v3: LocalMarket) -> None:
    oracle = deploy_twap_oracle(chain, deployer, v3.pool.address, v3.base.address, WINDOW)
    twap = int(chain.call(oracle.functions.price())) / WAD
    spot = int(chain.call(oracle.functions.spotPrice())) / WAD
    tick = v3.pool.twap_tick(WINDOW)
    expected = 1.0001**tick if v3.base_is_token0 else 1.0001**-tick
    assert twap == pytest.approx(expected, rel=1e-12)
    assert spot == pytest.approx(2000.0, rel=1e-3)  # one tick is 1e-4
    assert twap == pytest.approx(v3.base_price(), rel=1e-3)
    with pytest.raises(InputError, match="window"):
        deploy_twap_oracle(chain, deployer, v3.pool.address, v3.base.address, 0)
    with pytest.raises(TransactionReverted, match="NotPoolToken"):
        deploy_twap_oracle(chain, deployer, v3.pool.address, deployer.address, WINDOW)


def test_crash_on_the_pool_protects_one_borrower_and_liquidates_the_other(
    chain: Chain,
    deployer: LocalAccount,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
    aiweb3_home: Path,
    v3: LocalMarket,
) -> None:
    oracle = deploy_twap_oracle(chain, deployer, v3.pool.address, v3.base.address, WINDOW)
    market = deploy_market(chain, deployer, v3.base.address, v3.quote.address, oracle.address)
    risk = build_risk_model(aiweb3_home)
    risk.register(chain, deployer)
    guard = deploy_guard(chain, deployer, market, risk, deployments["ModelRegistry"].address)
    lender, protected, exposed, whale, liquidator = accounts[4:9]
    mint_tokens(chain, deployer, v3.quote.address, lender.address, 10**6 * UNIT)
    market.supply(lender, 10**6 * UNIT)
    price = int(chain.call(oracle.functions.price()))
    for who in (protected, exposed):
        mint_tokens(chain, deployer, v3.base.address, who.address, 10 * UNIT)
        mint_tokens(chain, deployer, v3.quote.address, who.address, 20_000 * UNIT)
        market.deposit(who, 10 * UNIT)
        # health factor 1.3 at the average price
        market.borrow(who, 10 * price * 8 // 13)
    guard.enroll(protected, "repay", 20_000 * UNIT)

    # the crash: a whale sells TETH into the pool until the spot price is ~25% lower
    mint_tokens(chain, deployer, v3.base.address, whale.address, 10**6 * UNIT)
    approve_max(chain, whale, v3.base.address, v3.uni.router)
    target = 2000.0 * 0.75
    limit = int(math.sqrt(target if v3.base_is_token0 else 1 / target) * 2**96)
    swap_exact_input(
        chain, whale, v3.uni, v3.pool, zero_for_one=v3.base_is_token0,
        amount_in=10**6 * UNIT, min_out=0, sqrt_price_limit_x96=limit,
    )  # fmt: skip
    assert v3.base_price() == pytest.approx(target, rel=1e-3)
    before = market.position(protected.address)
    step = ProtectionKeeper(guard, risk).step(liquidator, protected.address)
    assert step.acted, step
    assert step.inputs[1] < -0.2  # the keeper saw the spot lead the average
    assert market.position(protected.address).debt < before.debt

    # the average catches up: the exposed borrower falls below 1 and is liquidated
    _advance(chain, WINDOW)
    assert market.position(exposed.address).health < 1.0
    assert market.position(protected.address).health > 1.0
    mint_tokens(chain, deployer, v3.quote.address, liquidator.address, 10**6 * UNIT)
    owed = market.position(exposed.address).debt
    market.liquidate(liquidator, exposed.address, market.max_liquidation(exposed.address))
    assert market.position(exposed.address).debt == owed - owed // 2
    with pytest.raises(TransactionReverted, match="Healthy"):
        market.liquidate(liquidator, protected.address, 1)
