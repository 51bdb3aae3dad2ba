"""Property-based stateful test of TaskEscrow on the real node.

Hypothesis drives random sequences of posts (plain and proof-gated), accepts, deliveries (with
valid and forged proofs), approvals, rejections, resolutions, cancellations, refunds, claims and
time jumps (many fail with a decoded revert, as they should). After every step: the escrow's
AIUSD balance equals the sum of the budgets of the tasks still open (and the contract's own
``totalEscrowed``), no AIUSD appeared or vanished across the participants, and no forged proof
was ever accepted — no sequence locks or loses funds.
"""

from __future__ import annotations

import os

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from web3.contract import Contract

from aiweb3.agents import AgentWallet, EscrowTask, SpendPolicy, TaskEscrow, TaskStatus, TaskTerms, TokenInfo
from aiweb3.chain import Chain, Deployment, artifact
from aiweb3.errors import TransactionReverted

NO_EAS = "0x" + "00" * 20  # an escrow without EAS: tasks cannot require audits


@pytest.mark.timeout(300)
def test_escrow_never_locks_or_loses_funds(
    chain: Chain,
    deployments: dict[str, Deployment],
    deployer: LocalAccount,
    aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:
    token = TokenInfo(deployments["AIUSD"].address, chain.chain_id)
    # An escrow wired to the test-only inference oracle, so proof-gated tasks are in the mix too.
    # The oracle (an attester's signature, no ZK) is a test double for ModelRegistry here only:
    # hypothesis runs hundreds of steps and a real ezkl proof takes seconds. Real proofs through
    # the system escrow are covered in test_agents_providers.py and test_agents_demo.py.
    attester = Account.create()
    oracle_art, esc_art = artifact("TestInferenceOracle"), artifact("TaskEscrow")
    oracle_addr, _ = chain.deploy(deployer, oracle_art.abi, oracle_art.bytecode, attester.address)
    escrow_addr, _ = chain.deploy(deployer, esc_art.abi, esc_art.bytecode, token.address, oracle_addr, NO_EAS)
    escrow = TaskEscrow(chain, escrow_addr, token)
    model = b"\x42" * 32

    def attest(instances: list[int]) -> bytes:
        digest = keccak(abi_encode(["uint256", "address", "bytes32", "uint256[]"],
                                   [chain.chain_id, oracle_addr, model, instances]))  # fmt: skip
        return bytes(attester.sign_message(encode_defunct(primitive=digest)).signature)

    requesters, providers, arbiter = accounts[0:2], accounts[2:4], accounts[4]
    people = [*requesters, *providers, arbiter]
    policy = SpendPolicy(10**12, 10**13).allowing(
        tokens=[token.address], contracts=[escrow.address],
        counterparties=[escrow.address, *(p.address for p in providers)],
    )  # fmt: skip
    wallets = [AgentWallet(r, policy) for r in requesters]

    def balance(who: str) -> int:
        return int(chain.call(aiusd.functions.balanceOf(who)))

    class EscrowMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.snapshot = chain.snapshot()
            self.total = sum(balance(p.address) for p in people) + escrow.balance()
            self.first_task = escrow.count() + 1
            self.base = escrow.balance()
            self.base_total = escrow.total_escrowed()
            self.reverts = 0
            self.posted = 0

        def teardown(self) -> None:
            chain.revert(self.snapshot)

        def _tasks(self) -> list[EscrowTask]:
            return [escrow.task(i) for i in range(self.first_task, self.first_task + self.posted)]

        def _try(self, action: object) -> None:
            try:
                action()  # type: ignore[operator]
            except TransactionReverted:
                self.reverts += 1

        @rule(
            who=st.integers(0, 1),
            budget=st.integers(1, 5_000_000),
            named=st.integers(-1, 1),
            gated=st.booleans(),
        )
        def post(self, who: int, budget: int, named: int, gated: bool) -> None:
            provider = providers[named].address if named >= 0 else None
            terms = TaskTerms(
                budget,
                arbiter.address,
                provider=provider,
                accept_within=100,
                deliver_within=200,
                review_window=100,
                dispute_window=100,
                model_id=model if gated else b"\0" * 32,
            )
            escrow.post(wallets[who], terms)
            self.posted += 1

        @precondition(lambda self: self.posted > 0)
        @rule(
            pick=st.integers(0, 63),
            action=st.sampled_from(["accept", "deliver", "prove", "forge", "approve", "reject", "resolve",
                                    "cancel", "refund", "claim"]),
            prov=st.integers(0, 1),
            share=st.integers(0, 5_000_001),
        )  # fmt: skip
        def act(self, pick: int, action: str, prov: int, share: int) -> None:
            task_id = self.first_task + pick % self.posted
            task = escrow.task(task_id)
            req = next((w for w in wallets if w.address == task.requester), None)
            assert req is not None, (task, self.first_task, self.posted, escrow.count())
            provider = providers[prov]
            calls = {
                "accept": lambda: escrow.accept(provider, task_id),
                "deliver": lambda: escrow.deliver(provider, task_id, "bafkreiresult"),
                "prove": lambda: escrow.deliver_with_proof(
                    provider, task_id, "bafkreiproven", attest([7, 9]), [7, 9]
                ),
                "forge": lambda: escrow.deliver_with_proof(
                    provider, task_id, "bafkreiforged", attest([7, 9]), [7, 10]
                ),
                "approve": lambda: escrow.approve(req, task_id),
                "reject": lambda: escrow.reject(req, task_id),
                "resolve": lambda: escrow.resolve(arbiter, task_id, share),
                "cancel": lambda: escrow.cancel(req, task_id),
                "refund": lambda: escrow.refund(arbiter, task_id),
                "claim": lambda: escrow.claim(provider, task_id),
            }
            self._try(calls[action])

        @rule(seconds=st.sampled_from([60, 150, 400]))
        def wait(self, seconds: int) -> None:
            chain.rpc("evm_increaseTime", [seconds])
            chain.rpc("evm_mine", [])

        @invariant()
        def funds_are_all_accounted_for(self) -> None:
            tasks = self._tasks()
            held = escrow.balance()
            # the escrow holds exactly the budgets of the tasks still open
            open_budgets = sum(t.budget for t in tasks if t.status.holds_funds)
            assert held - self.base == open_budgets == escrow.total_escrowed() - self.base_total
            # no AIUSD was created or lost across the participants and the escrow
            assert sum(balance(p.address) for p in people) + held == self.total
            for t in tasks:
                event(f"reached {t.status.name}")
                if t.result_cid == "bafkreiforged":
                    raise AssertionError(f"a forged proof was accepted for task {t.task_id}")
                if t.status is TaskStatus.COMPLETED:
                    assert t.paid_to_provider == t.budget
                elif t.status is TaskStatus.RESOLVED:
                    assert t.paid_to_provider <= t.budget

    examples = int(os.environ.get("AGENTS_STATEFUL_EXAMPLES", "15"))
    EscrowMachine.TestCase.settings = settings(
        max_examples=examples, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )  # fmt: skip
    EscrowMachine.TestCase().runTest()
