"""LiquidityVault against the first-depositor share inflation: whoever deposits first into an
empty vault donates tokens to it so that a later deposit's shares round down to a fraction of
its value. The vault locks MIN_SHARES of the first deposit at a dead address, so the donation
goes almost entirely to them: the attacker loses it and the victim keeps its deposit."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, artifact
from aiweb3.defi import LocalMarket, defi_up, mint_tokens
from aiweb3.defi.vault import Vault, VaultConfig
from aiweb3.errors import TransactionReverted

UNIT = 10**18


@pytest.fixture(scope="module")
def market(chain: Chain, deployer: LocalAccount, module_home: Path) -> LocalMarket:
    return defi_up(chain, deployer, module_home)


def test_a_donation_cannot_inflate_the_share_price(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, accounts: list[LocalAccount]
) -> None:
    attacker, victim = accounts[5], accounts[6]
    pool = market.pool
    token0 = chain.contract(artifact("TestToken").abi, pool.token0)
    for who in (attacker, victim):
        mint_tokens(chain, who, pool.token0, who.address, 1_000 * UNIT)
    snap = chain.snapshot()
    try:
        config = VaultConfig(twap_window=60, max_twap_deviation=2000, limit_width=10 * pool.tick_spacing)
        vault = Vault.deploy(chain, deployer, pool, keeper=deployer.address, config=config)
        fns = vault.contract.functions
        locked = int(chain.call(fns.MIN_SHARES()))
        dead = str(chain.call(fns.DEAD_SHARES()))
        with pytest.raises(TransactionReverted, match="FirstDepositTooSmall"):
            vault.deposit(attacker, locked, 0)
        # the smallest first deposit: one share for the attacker, the rest locked
        assert vault.deposit(attacker, locked + 1, 0) == (1, locked + 1, 0)
        assert vault.shares_of(dead) == locked
        # the donation that made a 150-token deposit worth 125 tokens without the locked shares
        chain.transact(attacker, token0.functions.transfer(vault.address, 100 * UNIT))
        shares, paid0, _ = vault.deposit(victim, 150 * UNIT, 0)
        assert paid0 == 150 * UNIT and shares > locked
        got_attacker, _ = vault.withdraw(attacker, 1)
        got_victim, _ = vault.withdraw(victim, shares)
        assert got_attacker < UNIT  # the 100 tokens donated are lost to the locked shares
        assert got_victim >= 150 * UNIT - 100 * UNIT // locked  # rounding costs under 1/1000 of the donation
    finally:
        chain.revert(snap)


def test_the_first_depositor_gets_all_but_the_locked_shares(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, accounts: list[LocalAccount]
) -> None:
    lp = accounts[7]
    pool = market.pool
    for token in (pool.token0, pool.token1):
        mint_tokens(chain, lp, token, lp.address, 1_000 * UNIT)
    snap = chain.snapshot()
    try:
        config = VaultConfig(twap_window=60)
        vault = Vault.deploy(chain, deployer, pool, keeper=deployer.address, config=config)
        locked = int(chain.call(vault.contract.functions.MIN_SHARES()))
        shares, _, _ = vault.deposit(lp, 10 * UNIT, 30 * UNIT)
        assert shares == 30 * UNIT - locked
        out0, out1 = vault.withdraw(lp, shares)
        # everything but the locked shares' part (1000 / 3e19 of the deposit) comes back
        assert 10 * UNIT - out0 <= 10 * UNIT * locked // (30 * UNIT) + 1
        assert 30 * UNIT - out1 <= locked + 1
    finally:
        chain.revert(snap)
