"""Stateful hypothesis test of LiquidityVault on the real pool: depositors, swaps, rebalances and
time jumps in random order. No deposit or withdrawal lowers the value of anyone else's shares
(nobody takes more than their share), and at the end everyone withdraws and nothing is left
in the vault beyond the first deposit's locked shares (MIN_SHARES) and rounding dust."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from aiweb3.chain import Chain
from aiweb3.defi import LocalMarket, approve_max, defi_up, mint_tokens, swap_exact_input
from aiweb3.defi.vault import Vault, VaultConfig
from aiweb3.errors import TransactionReverted

UNIT = 10**18


@pytest.fixture(scope="module")
def market(chain: Chain, deployer: LocalAccount, module_home: Path) -> LocalMarket:
    return defi_up(chain, deployer, module_home)


@pytest.mark.timeout(600)
def test_no_depositor_takes_more_than_their_share(
    chain: Chain, deployer: LocalAccount, market: LocalMarket, accounts: list[LocalAccount]
) -> None:
    holders, trader = accounts[5:8], accounts[8]
    for who in [*holders, trader]:
        for token in (market.base.address, market.quote.address):
            mint_tokens(chain, who, token, who.address, 10**9 * UNIT)
            approve_max(chain, who, token, market.uni.router)
    chain.rpc("evm_increaseTime", [3600])
    chain.rpc("evm_mine", [])
    pool, spacing = market.pool, market.pool.tick_spacing

    class VaultMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            self.snapshot = chain.snapshot()
            config = VaultConfig(twap_window=60, max_twap_deviation=2000, limit_width=10 * spacing)
            self.vault = Vault.deploy(chain, deployer, pool, keeper=deployer.address, config=config)

        def per_share(self) -> tuple[float, int]:
            supply = int(chain.call(self.vault.contract.functions.totalSupply()))
            if supply == 0:
                return 0.0, 0
            t0, t1 = self.vault.total_amounts()
            return (t0 * pool.price() + t1) / supply, supply

        def check_not_diluted(self, before: tuple[float, int]) -> None:
            after = self.per_share()
            if before[1] and after[1]:
                tolerance = 4 * (pool.price() + 1) / after[1] + before[0] * 1e-12
                assert after[0] >= before[0] - tolerance, (before, after)

        @rule(who=st.integers(0, 2), a0=st.integers(0, 50), a1=st.integers(0, 50))
        def deposit(self, who: int, a0: int, a1: int) -> None:
            before = self.per_share()
            amount0, amount1 = a0 * UNIT // 10 + 1, a1 * UNIT * 100 + 1
            try:
                self.vault.deposit(holders[who], amount0, amount1)
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

        @rule(half=st.integers(1, 60))
        def rebalance(self, half: int) -> None:
            centre = pool.slot0()[1] // spacing * spacing
            try:
                self.vault.rebalance(deployer, centre - half * spacing, centre + half * spacing)
            except TransactionReverted as exc:
                assert exc.error_name == "PriceDeviates", exc

        @rule(seconds=st.integers(60, 3600))
        def wait(self, seconds: int) -> None:
            chain.rpc("evm_increaseTime", [seconds])
            chain.rpc("evm_mine", [])

        def teardown(self) -> None:
            try:
                fns = self.vault.contract.functions
                supply = int(chain.call(fns.totalSupply()))
                locked = int(chain.call(fns.MIN_SHARES())) if supply else 0
                # the part of the holdings the first deposit's locked shares own
                part0, part1 = (t * locked // supply if supply else 0 for t in self.vault.total_amounts())
                for h in holders:
                    shares = self.vault.shares_of(h.address)
                    if shares:
                        self.vault.withdraw(h, shares)
                assert int(chain.call(fns.totalSupply())) == locked
                t0, t1 = self.vault.total_amounts()
                # the locked shares' part and rounding dust only: nothing else stays in the vault
                assert t0 <= part0 + 10 and t1 <= part1 + 10**6
            finally:
                chain.revert(self.snapshot)

    VaultMachine.TestCase.settings = settings(
        max_examples=5,
        stateful_step_count=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    VaultMachine.TestCase().runTest()
