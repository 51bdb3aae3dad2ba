"""The lending market priced by a real Uniswap v3 pool's TWAP (UniV3TwapOracle), with liquidation
protection by the proven risk model and liquidation of an unprotected borrower after a crash
(``run_protection_demo``, what ``aiweb3 defi protect demo`` runs).

The crash is a real swap that moves the pool's tick; the average follows as the node's clock
moves on, which is the lag the risk model reads (spot / TWAP - 1).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.defi import LocalMarket, defi_up
from aiweb3.defi.lending import WAD, deploy_twap_oracle
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


def test_protection_demo_runs_on_the_pool(
    chain: Chain, deployer: LocalAccount, module_home: Path, v3: LocalMarket
) -> None:
    from aiweb3.defi.protect_demo import run_protection_demo

    steps: list[str] = []
    demo = run_protection_demo(chain, deployer, module_home, crash=0.3, on_progress=steps.append)
    assert demo.step.acted and demo.step.inputs[1] == pytest.approx(-0.3, abs=0.02)
    assert demo.price[1] == pytest.approx(demo.price[0] * 0.7, rel=1e-3)
    before, after_guard, after_lag = demo.protected_health
    assert after_guard > before and after_lag > 1.0
    assert demo.exposed_health[1] < 1.0 and demo.liquidated
    assert any("proving" in s for s in steps)
    with pytest.raises(InputError, match="crash"):
        run_protection_demo(chain, deployer, module_home, crash=0.95)
