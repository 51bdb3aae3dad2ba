"""Property-based stateful test of the Subnet contract on the real node.

Hypothesis drives random sequences by six actors (and a stranger): registering as miner or
validator (with stakes below the minimum too), adding stake, exiting and withdrawing (early too),
committing weights, revealing them (honestly, with the wrong salt or other weights), time jumps,
finalizing epochs (early too), funding the pool, the sponsor and a stranger taking from it, and
claiming rewards. Many calls revert, as they should. After every step the contract holds exactly
stakes + pool + credited rewards, and AIUSD only moved between the actors and the contract; at
the end everyone exits, every stake and reward is paid out and the pool returned: no sequence
locks or loses funds.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.network import Role, Subnet, SubnetParams

PARAMS = SubnetParams(
    min_stake=100 * 10**6, emission_per_epoch=50 * 10**6, commit_period=20, reveal_period=20
)
STAKES = [PARAMS.min_stake - 1, PARAMS.min_stake, 3 * PARAMS.min_stake]


@pytest.mark.timeout(600)
def test_subnet_never_locks_or_loses_funds(
    chain: Chain, deployments: dict[str, Deployment], accounts: list[LocalAccount]
) -> None:
    sponsor, actors, stranger = accounts[0], accounts[1:7], accounts[7]
    people = [sponsor, *actors, stranger]
    subnet = Subnet.deploy(chain, sponsor, deployments["AIUSD"].address, PARAMS)
    reached: Counter[str] = Counter()

    def balance(address: str) -> int:
        return int(chain.call(subnet.token.functions.balanceOf(address)))

    def attempt(name: str, fn: object, *args: object) -> bool:
        try:
            fn(*args)  # type: ignore[operator]
        except TransactionReverted as exc:
            reached[f"reverted {str(exc).split('(')[0].split()[-1]}"] += 1
            return False
        except InputError:
            reached[f"refused {name}"] += 1
            return False
        reached[name] += 1
        return True

    class SubnetMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.snapshot = chain.snapshot()
            self.total = sum(balance(p.address) for p in people) + balance(subnet.address)
            self.salts: dict[str, tuple[list[int], bytes]] = {}
            # three miners, two validators and a funded pool from the start, so every rule has work
            for m in actors[:3]:
                subnet.register(m, Role.MINER, PARAMS.min_stake)
            for v in actors[3:5]:
                subnet.register(v, Role.VALIDATOR, 2 * PARAMS.min_stake)
            subnet.fund_pool(sponsor, 5 * PARAMS.emission_per_epoch)
            subnet.dev_advance_to(subnet.phase()[2])
            subnet.finalize(stranger)

        def teardown(self) -> None:
            try:
                self._drain()
            finally:
                chain.revert(self.snapshot)

        def _drain(self) -> None:
            """One more epoch with every validator voting, then everyone exits, the epoch is
            finalized, stakes and rewards are paid out and the pool returned."""
            subnet.dev_advance_to(subnet.phase()[2])
            attempt("finalize", subnet.finalize, stranger)
            n = subnet.epoch_miners()
            voters = [v for v in actors if attempt("commit", subnet.commit_weights, v, [1] * n, b"\x03" * 32)]
            subnet.dev_advance_to(subnet.phase()[1])
            for v in voters:
                attempt("reveal", subnet.reveal_weights, v, [1] * n, b"\x03" * 32)
            subnet.dev_advance_to(subnet.phase()[2])
            subnet.finalize(stranger)
            for p in actors:
                attempt("exit", subnet.exit, p)
            subnet.dev_advance_to(subnet.phase()[2])
            subnet.finalize(stranger)
            for p in actors:
                if subnet.chain.call(subnet.contract.functions.roleOf(p.address)):
                    attempt("withdraw stake", subnet.withdraw_stake, p)
                if subnet.owed(p.address):
                    attempt("claim", subnet.claim, p)
            pool = subnet.balances()["emission_pool"]
            if pool:
                chain.transact(sponsor, subnet.contract.functions.withdrawPool(pool))
            assert balance(subnet.address) == 0
            assert sum(balance(p.address) for p in people) == self.total

        @rule(who=st.sampled_from(actors), role=st.sampled_from([Role.MINER, Role.VALIDATOR]),
              stake=st.sampled_from(STAKES))  # fmt: skip
        def register(self, who: LocalAccount, role: Role, stake: int) -> None:
            attempt(f"register {role.name.lower()}", subnet.register, who, role, stake)

        @rule(who=st.sampled_from(actors))
        def add_stake(self, who: LocalAccount) -> None:
            attempt("add stake", subnet.add_stake, who, PARAMS.min_stake)

        @rule(who=st.sampled_from(actors))
        def exit(self, who: LocalAccount) -> None:
            attempt("exit", subnet.exit, who)

        @rule(who=st.sampled_from(actors))
        def withdraw_stake(self, who: LocalAccount) -> None:
            attempt("withdraw stake", subnet.withdraw_stake, who)

        @rule(who=st.sampled_from([*actors[3:], actors[3], actors[4], stranger]), seed=st.integers(0, 2**16))
        def commit(self, who: LocalAccount, seed: int) -> None:
            n = subnet.epoch_miners()
            weights = [(seed * (j + 7)) % 65536 for j in range(n)]
            salt = seed.to_bytes(32, "big")
            if attempt("commit", subnet.commit_weights, who, weights, salt):
                self.salts[who.address] = (weights, salt)

        @rule(who=st.sampled_from(actors[3:]), honest=st.booleans())
        def reveal(self, who: LocalAccount, honest: bool) -> None:
            weights, salt = self.salts.get(who.address, ([0] * subnet.epoch_miners(), b"\x01" * 32))
            if not honest:
                salt = b"\x02" * 32
            attempt("reveal" if honest else "reveal wrong salt", subnet.reveal_weights, who, weights, salt)

        @rule(to=st.sampled_from(["reveal", "end"]))
        def advance(self, to: str) -> None:
            _, reveal_opens, ends_at = subnet.phase()
            subnet.dev_advance_to(reveal_opens if to == "reveal" else ends_at)

        @rule()
        def finalize(self) -> None:
            attempt("finalize", subnet.finalize, stranger)

        @rule(amount=st.sampled_from([0, PARAMS.emission_per_epoch, 3 * PARAMS.emission_per_epoch]))
        def fund(self, amount: int) -> None:
            attempt("fund", subnet.fund_pool, sponsor, amount)

        @rule(who=st.sampled_from([sponsor, stranger]))
        def take_pool(self, who: LocalAccount) -> None:
            amount = min(subnet.balances()["emission_pool"], PARAMS.emission_per_epoch)
            attempt("withdraw pool", chain.transact, who, subnet.contract.functions.withdrawPool(amount))

        @rule(who=st.sampled_from([*actors, stranger]))
        def claim(self, who: LocalAccount) -> None:
            attempt("claim", subnet.claim, who)

        @invariant()
        def balanced(self) -> None:
            if not hasattr(self, "total"):
                return
            b = subnet.balances()
            assert b["token_balance"] == b["emission_pool"] + b["total_staked"] + b["total_owed"]
            assert sum(balance(p.address) for p in people) + b["token_balance"] == self.total

    examples = int(os.environ.get("NETWORK_STATEFUL_EXAMPLES", "8"))
    SubnetMachine.TestCase.settings = settings(
        max_examples=examples, stateful_step_count=30, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )  # fmt: skip
    SubnetMachine.TestCase().runTest()
    wanted = {"commit", "reveal", "finalize", "claim", "withdraw stake", "withdraw pool", "add stake"}
    assert wanted <= set(reached), str(sorted(reached.items()))
