"""Property-based stateful test of LendingMarket on the real node: nobody takes more than theirs.

Hypothesis drives random sequences of supplies, withdrawals, collateral deposits and
withdrawals, borrows, repayments (own and on another's behalf), liquidations of any size,
price moves (up and down, through the test-only settable oracle; many calls fail with a
decoded revert, as they should) and time passing (interest accrues). After every step, against
the chain:
- the market holds exactly its books: debt-token balance == cash, collateral balance ==
  total collateral == the sum of positions; total debt and supply equal their sums (within a
  wei per position: each is rounded on its own);
- cash + total debt == total supplied: every token lent out is owed back, with its interest;
- no tokens appear or vanish across the participants and the market;
- lenders together never hold more than they started with plus the interest borrowers owe or
  paid (what they supplied beyond what they withdrew, subtracted from the market's books);
- a borrower's collateral (wallet + locked) never grows, and valued at the current price
  (collateral + debt tokens - debt) they are never richer than at the start;
- a liquidator receives at most the debt repaid plus the bonus, at the oracle's price.
"""

from __future__ import annotations

import contextlib

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from aiweb3.chain import Chain, artifact
from aiweb3.defi.lending import WAD, deploy_market, deploy_test_token
from aiweb3.errors import TransactionReverted

UNIT = 10**18
START = 1_000 * UNIT


@pytest.mark.timeout(400)
def test_lending_market_never_gives_anyone_more_than_theirs(
    chain: Chain, deployer: LocalAccount, accounts: list[LocalAccount]
) -> None:
    weth = deploy_test_token(chain, deployer, "Wrapped Ether", "WETH")
    usd = deploy_test_token(chain, deployer, "Test Dollar", "TUSD")
    oracle_art = artifact("TestPriceOracle")
    oracle_addr, _ = chain.deploy(deployer, oracle_art.abi, oracle_art.bytecode, 2_000 * WAD)
    oracle = chain.contract(oracle_art.abi, oracle_addr)
    market = deploy_market(chain, deployer, weth.address, usd.address, oracle_addr)
    lenders, borrowers, liquidator = accounts[0:2], accounts[2:4], accounts[4]
    people = [*lenders, *borrowers, liquidator]
    for person in people:
        chain.transact(deployer, weth.functions.mint(person.address, START))
        chain.transact(deployer, usd.functions.mint(person.address, START * 2_000))
        for token in (weth, usd):
            chain.transact(person, token.functions.approve(market.address, 2**256 - 1))
    bonus = int(chain.call(market.contract.functions.liquidationBonus()))

    def bal(token: object, who: str) -> int:
        return int(chain.call(token.functions.balanceOf(who)))  # type: ignore[attr-defined]

    def books(name: str, who: str | None = None) -> int:
        fn = getattr(market.contract.functions, name)
        return int(chain.call(fn(who) if who else fn()))

    class LendingMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.snapshot = chain.snapshot()
            self.weth_total = sum(bal(weth, p.address) for p in people) + bal(weth, market.address)
            self.usd_total = sum(bal(usd, p.address) for p in people) + bal(usd, market.address)
            self.start_weth = {
                p.address: bal(weth, p.address) + books("collateralOf", p.address) for p in people
            }
            self.start_usd = {p.address: bal(usd, p.address) for p in people}
            self.net_supplied = 0

        def teardown(self) -> None:
            chain.revert(self.snapshot)

        def _try(self, signer: LocalAccount, fn: object) -> bool:
            with contextlib.suppress(TransactionReverted):
                chain.transact(signer, fn)  # type: ignore[arg-type]
                return True
            return False

        @rule(who=st.integers(0, 1), amount=st.integers(1, 400_000).map(lambda x: x * UNIT // 100))
        def supply(self, who: int, amount: int) -> None:
            if self._try(lenders[who], market.contract.functions.supply(amount)):
                self.net_supplied += amount

        @rule(who=st.integers(0, 1), amount=st.integers(1, 400_000).map(lambda x: x * UNIT // 100))
        def withdraw_supply(self, who: int, amount: int) -> None:
            if self._try(lenders[who], market.contract.functions.withdrawSupply(amount)):
                self.net_supplied -= amount

        @rule(seconds=st.sampled_from([3600, 30 * 86400, 365 * 86400]))
        def wait(self, seconds: int) -> None:
            chain.rpc("evm_increaseTime", [seconds])
            chain.rpc("evm_mine", [])

        @rule(who=st.integers(0, 1), amount=st.integers(1, 10_000).map(lambda x: x * UNIT // 100))
        def deposit(self, who: int, amount: int) -> None:
            b = borrowers[who]
            self._try(b, market.contract.functions.depositCollateral(b.address, amount))

        @rule(who=st.integers(0, 1), amount=st.integers(1, 10_000).map(lambda x: x * UNIT // 100))
        def withdraw_collateral(self, who: int, amount: int) -> None:
            self._try(borrowers[who], market.contract.functions.withdrawCollateral(amount))

        @rule(who=st.integers(0, 1), fraction=st.integers(1, 110))
        def borrow(self, who: int, fraction: int) -> None:
            b = borrowers[who]
            limit = market.borrow_limit(b.address) - books("debtOf", b.address)
            amount = max(1, limit * fraction // 100)
            self._try(b, market.contract.functions.borrow(amount))

        @rule(payer=st.integers(0, 4), who=st.integers(0, 1), fraction=st.integers(1, 120))
        def repay(self, payer: int, who: int, fraction: int) -> None:
            b = borrowers[who]
            amount = max(1, books("debtOf", b.address) * fraction // 100)
            self._try(people[payer], market.contract.functions.repay(b.address, amount))

        @rule(who=st.integers(0, 1), fraction=st.integers(1, 110))
        def liquidate(self, who: int, fraction: int) -> None:
            b = borrowers[who]
            amount = max(1, market.max_liquidation(b.address) * fraction // 100)
            before_weth, before_usd = bal(weth, liquidator.address), bal(usd, liquidator.address)
            price = int(chain.call(oracle.functions.price()))
            try:
                chain.transact(liquidator, market.contract.functions.liquidate(b.address, amount))
            except TransactionReverted:
                return
            seized = bal(weth, liquidator.address) - before_weth
            paid = before_usd - bal(usd, liquidator.address)
            assert seized * price // WAD <= paid * (WAD + bonus) // WAD + 1, (seized, paid, price)

        @rule(percent=st.integers(40, 160))
        def move_price(self, percent: int) -> None:
            price = int(chain.call(oracle.functions.price())) * percent // 100
            price = min(max(price, 200 * WAD), 20_000 * WAD)
            chain.transact(deployer, oracle.functions.set(price, price))

        @invariant()
        def books_match_balances(self) -> None:
            assert bal(usd, market.address) == books("cash")
            collateral = sum(books("collateralOf", b.address) for b in borrowers)
            assert bal(weth, market.address) == books("totalCollateral") == collateral
            debts = sum(books("debtOf", b.address) for b in borrowers)
            assert books("totalDebt") <= debts <= books("totalDebt") + len(borrowers)
            supplied = sum(books("suppliedOf", p.address) for p in lenders)
            assert supplied <= books("totalSupplied") <= supplied + len(lenders) + 1
            assert books("cash") + books("totalDebt") == books("totalSupplied")

        @invariant()
        def nothing_created_or_lost(self) -> None:
            assert sum(bal(weth, p.address) for p in people) + bal(weth, market.address) == self.weth_total
            assert sum(bal(usd, p.address) for p in people) + bal(usd, market.address) == self.usd_total

        @invariant()
        def nobody_takes_more_than_theirs(self) -> None:
            held = sum(bal(usd, p.address) + books("suppliedOf", p.address) for p in lenders)
            interest = books("totalSupplied") - self.net_supplied
            assert interest >= -1, interest
            assert held <= sum(self.start_usd[p.address] for p in lenders) + interest
            price = int(chain.call(oracle.functions.price()))
            for b in borrowers:
                weth_held = bal(weth, b.address) + books("collateralOf", b.address)
                assert weth_held <= self.start_weth[b.address]
                # valued at today's price, a borrower is never richer than at the start (a
                # liquidation takes the bonus; rounding may favour them by a few wei per step)
                worth = weth_held * price // WAD + bal(usd, b.address) - books("debtOf", b.address)
                start = self.start_weth[b.address] * price // WAD + self.start_usd[b.address]
                assert worth <= start + 10**6, (worth, start)

    LendingMachine.TestCase.settings = settings(
        max_examples=6,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    LendingMachine.TestCase().runTest()
