"""Stateful hypothesis test of StructuredVault on the real pool and a real LendingMarket:
depositors, swaps, allocations and time (interest) in random order. No deposit or withdrawal
lowers the value of anyone else's shares (nobody takes more than their share), and at the end
everyone withdraws and nothing is left beyond the locked first shares' part and rounding dust."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from aiweb3.chain import Chain
from aiweb3.defi import LocalMarket, approve_max, defi_up, mint_tokens, swap_exact_input
from aiweb3.defi.lending import deploy_market, deploy_twap_oracle
from aiweb3.defi.structured import StructuredConfig, StructuredVault
from aiweb3.errors import TransactionReverted

UNIT = 10**18


@pytest.fixture(scope="module")
def market(chain: Chain, deployer: LocalAccount, module_home: Path) -> LocalMarket:
    return defi_up(chain, deployer, module_home)


@pytest.mark.timeout(900)
def test_no_depositor_takes_more_than_their_share(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, accounts: list[LocalAccount]
) -> None:
    holders, trader, lender, borrower = accounts[5:8], accounts[8], accounts[3], accounts[4]
    for who in [*holders, trader, lender, borrower]:
        for token in (market.base.address, market.quote.address):
            mint_tokens(chain, who, token, who.address, 10**9 * UNIT)
            approve_max(chain, who, token, market.uni.router)
    chain.rpc("evm_increaseTime", [3600])
    chain.rpc("evm_mine", [])
    pool = market.pool
    oracle = deploy_twap_oracle(chain, deployer, pool.address, market.base.address, 60)
    lending = deploy_market(chain, deployer, market.base.address, market.quote.address, oracle.address)
    lending.supply(lender, 10**6 * UNIT)
    lending.deposit(borrower, 10**4 * UNIT)
    lending.borrow(borrower, 4 * 10**5 * UNIT)

    def price() -> float:  # quote per base, both 18 decimals
        return market.base_price()

    class StructuredMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            self.snapshot = chain.snapshot()
            config = StructuredConfig(twap_window=60, epoch_seconds=0, max_twap_deviation=4000)
            self.vault = StructuredVault.deploy(
                chain, deployer, pool, lending, keeper=deployer.address, config=config
            )

        def per_share(self) -> tuple[float, int]:
            supply = int(chain.call(self.vault.contract.functions.totalSupply()))
            if supply == 0:
                return 0.0, 0
            assets, others = self.vault.total_amounts()
            return (assets + others * price()) / supply, supply

        def check_not_diluted(self, before: tuple[float, int]) -> None:
            after = self.per_share()
            if before[1] and after[1]:
                tolerance = 4 * (price() + 1) / after[1] + before[0] * 1e-12
                assert after[0] >= before[0] - tolerance, (before, after)

        @rule(who=st.integers(0, 2), quote=st.integers(0, 50), base=st.integers(0, 50))
        def deposit(self, who: int, quote: int, base: int) -> None:
            before = self.per_share()
            try:
                self.vault.deposit(holders[who], quote * UNIT * 100 + 1, base * UNIT // 10 + 1)
            except TransactionReverted as exc:
                assert exc.error_name == "ZeroShares", exc
                return
            self.check_not_diluted(before)

        @rule(who=st.integers(0, 2), part=st.sampled_from([1, 3, 10]))
        def withdraw(self, who: int, part: int) -> None:
            shares = self.vault.shares_of(holders[who].address) // part
            if shares == 0:
                return
            before = self.per_share()
            self.vault.withdraw(holders[who], shares)
            self.check_not_diluted(before)

        @rule(sell_base=st.booleans(), amount=st.integers(1, 100))
        def swap(self, sell_base: bool, amount: int) -> None:
            zero_for_one = sell_base == market.base_is_token0
            scaled = amount * UNIT // 10 if sell_base else amount * UNIT * 200
            swap_exact_input(
                chain, trader, market.uni, pool, zero_for_one=zero_for_one, amount_in=scaled, min_out=0
            )

        @rule(bps=st.sampled_from([0, 2_500, 5_000, 10_000]))
        def allocate(self, bps: int) -> None:
            try:
                self.vault.allocate(deployer, bps)
            except TransactionReverted as exc:
                assert exc.error_name == "PriceDeviates", exc

        @rule(seconds=st.integers(60, 30 * 86400))
        def wait(self, seconds: int) -> None:
            chain.rpc("evm_increaseTime", [seconds])
            chain.rpc("evm_mine", [])

        def teardown(self) -> None:
            try:
                fns = self.vault.contract.functions
                supply = int(chain.call(fns.totalSupply()))
                locked = int(chain.call(fns.MIN_SHARES())) if supply else 0
                part_a, part_o = (t * locked // supply if supply else 0 for t in self.vault.total_amounts())
                for h in holders:
                    shares = self.vault.shares_of(h.address)
                    if shares:
                        self.vault.withdraw(h, shares)
                assert int(chain.call(fns.totalSupply())) == locked
                assets, others = self.vault.total_amounts()
                # the locked shares' part and rounding dust only: nothing else stays in the vault
                assert assets <= part_a + 10**6 and others <= part_o + 10**6, (assets, others, part_a, part_o)
            finally:
                chain.revert(self.snapshot)

    StructuredMachine.TestCase.settings = settings(
        max_examples=4,
        stateful_step_count=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    StructuredMachine.TestCase().runTest()
