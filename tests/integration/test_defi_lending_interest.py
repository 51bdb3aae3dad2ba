"""LendingMarket interest: borrowers pay a utilisation-based rate, lenders earn it, the books stay
whole, and a position that interest pushes below a health factor of 1 can be liquidated."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, artifact
from aiweb3.defi.lending import WAD, MarketFactors, deploy_market, deploy_test_token
from aiweb3.errors import InputError, TransactionReverted

UNIT = 10**18
YEAR = 365 * 86400


def _wait(chain: Chain, seconds: int) -> None:
    chain.rpc("evm_increaseTime", [seconds])
    chain.rpc("evm_mine", [])


def test_interest_accrues_to_lenders_and_liquidates_the_overdue(
    chain: Chain, deployer: LocalAccount, accounts: list[LocalAccount], chain_isolation: Chain
) -> None:
    weth = deploy_test_token(chain, deployer, "Wrapped Ether", "WETH")
    usd = deploy_test_token(chain, deployer, "Test Dollar", "TUSD")
    art = artifact("TestPriceOracle")
    oracle, _ = chain.deploy(deployer, art.abi, art.bytecode, 2_000 * WAD)
    market = deploy_market(chain, deployer, weth.address, usd.address, oracle)
    alice, bob, borrower, liquidator = accounts[:4]
    for who in (alice, bob, liquidator):
        chain.transact(deployer, usd.functions.mint(who.address, 10**6 * UNIT))
    chain.transact(deployer, weth.functions.mint(borrower.address, 100 * UNIT))
    market.supply(alice, 200_000 * UNIT)
    market.deposit(borrower, 100 * UNIT)
    market.borrow(borrower, 140_000 * UNIT)  # 70% utilisation
    rates = market.rates()
    assert rates["utilisation"] == 7 * WAD // 10
    assert rates["borrow_rate"] == 2 * WAD // 100 + 20 * WAD // 100 * 7 // 10  # 2% + 20% x 0.7
    assert rates["supply_rate"] == rates["borrow_rate"] * 7 // 10
    _wait(chain, YEAR // 2)
    debt = market.position(borrower.address).debt
    # half a year at 16% (simple over the gap since the last accrual)
    assert abs(debt - 140_000 * UNIT * 108 // 100) < 10**18
    # a later lender buys in at the grown exchange rate: alice's interest stays alice's
    market.supply(bob, 10_000 * UNIT)
    assert abs(market.supplied(bob.address) - 10_000 * UNIT) < 10**15  # a block's interest at most
    assert market.supplied(alice.address) >= 200_000 * UNIT + debt - 140_000 * UNIT - 10
    totals = market.totals()
    assert totals["cash"] + totals["debt"] == totals["supplied"]
    assert market.supplied(alice.address) + market.supplied(bob.address) <= totals["supplied"]
    # a year later interest has pushed the position below a health factor of 1
    assert market.health_factor(borrower.address) > WAD
    _wait(chain, YEAR)
    assert market.health_factor(borrower.address) < WAD
    market.liquidate(liquidator, borrower.address, market.max_liquidation(borrower.address))
    # the borrower repays the rest with interest; lenders take back more than they lent
    # (interest accrues until the repayment's block: offer a little more; repay takes only the debt)
    owed = market.position(borrower.address).debt
    chain.transact(deployer, usd.functions.mint(borrower.address, owed * 2))
    before = int(chain.call(usd.functions.balanceOf(borrower.address)))
    market.repay(borrower, owed * 2)
    paid = before - int(chain.call(usd.functions.balanceOf(borrower.address)))
    assert market.position(borrower.address).debt == 0 and owed <= paid < owed * 1001 // 1000
    for lender, lent in ((alice, 200_000 * UNIT), (bob, 10_000 * UNIT)):
        amount = market.supplied(lender.address)
        assert amount > lent
        before = int(chain.call(usd.functions.balanceOf(lender.address)))
        market.withdraw_supply(lender, amount)
        assert int(chain.call(usd.functions.balanceOf(lender.address))) - before == amount
    # nothing owed, nothing lent: at most rounding dust stays in the market
    assert market.totals()["cash"] < 10
    with pytest.raises(TransactionReverted) as exc:
        market.withdraw_supply(alice, 10**6)
    assert exc.value.error_name == "InsufficientSupply"


def test_rates_are_checked() -> None:
    with pytest.raises(InputError):
        MarketFactors(base_rate=-1)
    with pytest.raises(InputError):
        MarketFactors(base_rate=6 * WAD, rate_slope=6 * WAD)
