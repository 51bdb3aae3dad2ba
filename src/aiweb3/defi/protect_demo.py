"""Liquidation protection end to end on the local chain's Uniswap v3 pool (``aiweb3 defi protect demo``).

Deploys a TWAP oracle on the TETH/TUSD pool (``aiweb3 defi up``), a lending market and a guard
for the shipped risk model; two borrowers open positions at health 1.3, one enrols; a whale
sells TETH until the spot price is ``crash`` lower; the keeper proves the model's decision and
the guard repays; then the average catches up and the unprotected borrower is liquidated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, deploy_system
from aiweb3.defi import approve_max, load_market, mint_tokens, swap_exact_input
from aiweb3.defi.lending import WAD, deploy_market, deploy_twap_oracle
from aiweb3.defi.protect import KeeperStep, ProtectionKeeper, build_risk_model, deploy_guard
from aiweb3.errors import InputError

__all__ = ["ProtectionDemo", "run_protection_demo"]

UNIT = 10**18


@dataclass(frozen=True)
class ProtectionDemo:
    """What the demo did."""

    market: str
    guard: str
    model_id: str
    step: KeeperStep
    protected_health: tuple[float, float, float]  # before the crash, after the guard, after the lag
    exposed_health: tuple[float, float]  # before the crash, after the lag
    liquidated: bool
    price: tuple[float, float]  # spot before and after the crash


def run_protection_demo(
    chain: Chain,
    deployer: LocalAccount,
    home: Path,
    *,
    crash: float = 0.25,
    window: int = 600,
    on_progress: Callable[[str], None] | None = None,
) -> ProtectionDemo:
    """Run the demo (fresh accounts funded by ``deployer``; local chains only: it moves the clock).

    Raises:
        InputError: a crash outside (0, 0.9).
        DeploymentError: no ``aiweb3 defi up`` pool in ``home``.
    """
    if not 0.0 < crash < 0.9:
        raise InputError("--crash must be a fraction between 0 and 0.9, e.g. 0.25")
    step = on_progress or (lambda _s: None)
    v3 = load_market(chain, home)  # DeploymentError naming `aiweb3 defi up` when missing
    deployments = deploy_system(chain, deployer, home)
    step("compiling the risk model")
    risk = build_risk_model(home)
    risk.register(chain, deployer)
    chain.rpc("evm_increaseTime", [window + 1])
    chain.rpc("evm_mine", [])
    step("deploying the TWAP oracle, the market and the guard")
    oracle = deploy_twap_oracle(chain, deployer, v3.pool.address, v3.base.address, window)
    market = deploy_market(chain, deployer, v3.base.address, v3.quote.address, oracle.address)
    guard = deploy_guard(chain, deployer, market, risk, deployments["ModelRegistry"].address)
    lender, protected, exposed, whale, keeper = (Account.create() for _ in range(5))
    for who in (lender, protected, exposed, whale, keeper):
        chain.set_balance(who.address, 10 * UNIT)
    mint_tokens(chain, deployer, v3.quote.address, lender.address, 10**7 * UNIT)
    market.supply(lender, 10**7 * UNIT)
    twap = int(chain.call(oracle.functions.price()))
    for who in (protected, exposed):
        mint_tokens(chain, deployer, v3.base.address, who.address, 10 * UNIT)
        mint_tokens(chain, deployer, v3.quote.address, who.address, 10 * twap // WAD * UNIT)
        market.deposit(who, 10 * UNIT)
        market.borrow(who, 10 * twap * 8 // 13)
    guard.enroll(protected, "repay", 10 * twap // WAD * UNIT)
    p0, e0 = market.position(protected.address).health, market.position(exposed.address).health
    spot0 = v3.base_price()
    step(f"crashing the pool's spot price by {crash:.0%}")
    mint_tokens(chain, deployer, v3.base.address, whale.address, 10**9 * UNIT)
    approve_max(chain, whale, v3.base.address, v3.uni.router)
    target = spot0 * (1.0 - crash)
    limit = int(math.sqrt(target if v3.base_is_token0 else 1 / target) * 2**96)
    swap_exact_input(
        chain, whale, v3.uni, v3.pool, zero_for_one=v3.base_is_token0,
        amount_in=10**9 * UNIT, min_out=0, sqrt_price_limit_x96=limit,
    )  # fmt: skip
    step("proving the risk model's decision and sending it to the guard")
    decision = ProtectionKeeper(guard, risk).step(keeper, protected.address)
    p1 = market.position(protected.address).health
    step("letting the average catch up")
    chain.rpc("evm_increaseTime", [window])
    chain.rpc("evm_mine", [])
    p2, e1 = market.position(protected.address).health, market.position(exposed.address).health
    liquidated = False
    if e1 < 1.0:
        mint_tokens(chain, deployer, v3.quote.address, keeper.address, 10**7 * UNIT)
        market.liquidate(keeper, exposed.address, market.max_liquidation(exposed.address))
        liquidated = True
    return ProtectionDemo(
        market.address, guard.address, risk.model_id, decision, (p0, p1, p2), (e0, e1), liquidated,
        (spot0, v3.base_price()),
    )  # fmt: skip
