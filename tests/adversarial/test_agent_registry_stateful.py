"""Property-based stateful test of AgentRegistry (with its TaskEscrow) on the real node.

Hypothesis drives random sequences by six actors, two of them adversarial (a sybil pair that
tries to squat wallets, trade with itself, rate tasks it was not part of, replay proofs and
record validations for tasks it did not prove): registrations with and without the wallet's
consent, ownership transfers, wallets leaving, whole escrow tasks (plain or proof-gated, approved,
disputed and split, or left to expire), feedback and validations. Each write's outcome is
predicted from the chain's state by a model of the rules and compared with what the contract
did. After every step: no AIUSD appeared, vanished or stayed in escrow beyond open budgets;
every feedback entry is one paid task's counterparty, rated once, weighted by what the task
paid; every validation points at a task the escrow settled on a verified proof (and its event).
"""

from __future__ import annotations

import itertools
import os

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from web3.contract import Contract

from aiweb3.agents import AgentRegistry, AgentWallet, SpendPolicy, TaskEscrow, TaskTerms, TokenInfo
from aiweb3.chain import Chain, Deployment, artifact
from aiweb3.errors import TransactionReverted

NO_EAS = "0x" + "00" * 20  # an escrow without EAS: tasks cannot require audits

MODEL = b"\x42" * 32
CARD = {"name": "a", "capabilities": ["x"], "endpoint": "http://a.example", "payment_schemes": ["escrow"]}


@pytest.mark.timeout(600)
def test_registry_reputation_moves_only_with_paid_tasks(
    chain: Chain,
    deployments: dict[str, Deployment],
    deployer: LocalAccount,
    aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:
    token = TokenInfo(deployments["AIUSD"].address, chain.chain_id)
    # The test-only oracle stands in for ModelRegistry (hundreds of steps, instant "proofs"); the
    # real ezkl path is in test_escrow_attacks.py.
    attester = Account.create()
    oracle_art, esc_art, reg_art = (
        artifact("TestInferenceOracle"),
        artifact("TaskEscrow"),
        artifact("AgentRegistry"),
    )
    oracle_addr, _ = chain.deploy(deployer, oracle_art.abi, oracle_art.bytecode, attester.address)
    escrow_addr, _ = chain.deploy(deployer, esc_art.abi, esc_art.bytecode, token.address, oracle_addr, NO_EAS)
    registry_addr, _ = chain.deploy(deployer, reg_art.abi, reg_art.bytecode, escrow_addr)
    escrow, registry = TaskEscrow(chain, escrow_addr, token), AgentRegistry(chain, registry_addr)
    actors, arbiter = accounts[0:6], accounts[6]  # actors 4 and 5: the adversarial sybil pair
    people = [*actors, arbiter]
    policy = SpendPolicy(10**12, 10**13).allowing(
        tokens=[token.address], contracts=[escrow.address],
        counterparties=[escrow.address, *(a.address for a in actors)],
    )  # fmt: skip
    wallets = [AgentWallet(a, policy) for a in actors]
    fresh = itertools.count(1)

    def attest(instances: list[int]) -> bytes:
        digest = keccak(abi_encode(["uint256", "address", "bytes32", "uint256[]"],
                                   [chain.chain_id, oracle_addr, MODEL, instances]))  # fmt: skip
        return bytes(attester.sign_message(encode_defunct(primitive=digest)).signature)

    def balance(who: str) -> int:
        return int(chain.call(aiusd.functions.balanceOf(who)))

    def settled(task_id: int) -> tuple[str, str, int, int]:
        s = chain.call(escrow.contract.functions.settlement(task_id))
        return to_checksum_address(s[0]), to_checksum_address(s[1]), int(s[2]), int(s[6])

    def owner_of_wallet(address: str) -> str | None:
        agent = int(chain.call(registry.contract.functions.agentOfWallet(address)))
        return registry.get(agent).owner if agent else None

    class RegistryMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.snapshot = chain.snapshot()
            self.total = sum(balance(p.address) for p in people) + escrow.balance()
            self.first_agent = int(chain.call(registry.contract.functions.agentCount())) + 1
            self.first_task = escrow.count() + 1
            self.proofs: list[tuple[bytes, list[int]]] = []
            for honest in actors[:3]:  # three honest agents from the start; the rest come by rules
                registry.register(honest, CARD)

        def teardown(self) -> None:
            chain.revert(self.snapshot)

        def _agents(self) -> range:
            return range(self.first_agent, int(chain.call(registry.contract.functions.agentCount())) + 1)

        def _tasks(self) -> range:
            return range(self.first_task, escrow.count() + 1)

        def _expect(self, ok: bool, action: object, why: object = None) -> None:
            try:
                action()  # type: ignore[operator]
            except TransactionReverted as exc:
                assert not ok, f"the model expected success, the contract said {exc.error_name}"
                event(f"refused {exc.error_name}")
                return
            assert ok, f"the contract accepted what the model says it must refuse ({why})"
            event("accepted")

        @rule(
            owner=st.integers(0, 5),
            wallet=st.integers(0, 5),
            consent=st.sampled_from(["own", "signed", "forged"]),
        )
        def register(self, owner: int, wallet: int, consent: str) -> None:
            o, w = actors[owner], actors[wallet]
            free = int(chain.call(registry.contract.functions.agentOfWallet(w.address))) == 0
            if owner == wallet:
                self._expect(free, lambda: registry.register(o, CARD))
            elif consent == "signed":
                self._expect(free, lambda: registry.register(o, CARD, registry.wallet_consent(w, o.address)))
            else:  # squatting: the victim's wallet with no consent or the squatter's own signature
                sig = b"" if consent == "own" else registry.wallet_consent(o, o.address).signature
                fn = registry.contract.functions.register(
                    w.address, CARD["name"], chain.block_time() + 99, sig
                )
                self._expect(False, lambda: chain.transact(o, fn))

        @precondition(lambda self: len(self._agents()) > 0)
        @rule(pick=st.integers(0, 63), who=st.integers(0, 5), action=st.sampled_from(["transfer", "leave"]))
        def govern(self, pick: int, who: int, action: str) -> None:
            agent_id = self._agents()[pick % len(self._agents())]
            rec, caller = registry.get(agent_id), actors[who]
            if action == "transfer":
                fn = registry.contract.functions.transferOwnership(agent_id, actors[(who + 1) % 6].address)
                self._expect(rec.owner == caller.address, lambda: chain.transact(caller, fn))
                return
            fn = registry.contract.functions.unsetAgentWallet(agent_id)
            self._expect(caller.address in (rec.owner, rec.wallet), lambda: chain.transact(caller, fn))

        @rule(
            req=st.integers(0, 5),
            prov=st.integers(0, 5),
            budget=st.integers(1, 4_000_000),
            gated=st.booleans(),
            end=st.sampled_from(["approve", "split", "expire", "replay"]),
            share=st.integers(0, 4_000_000),
        )
        def task(self, req: int, prov: int, budget: int, gated: bool, end: str, share: int) -> None:
            model = MODEL if gated else b"\0" * 32
            terms = TaskTerms(budget, arbiter.address, accept_within=50, deliver_within=100,
                              review_window=50, dispute_window=50, model_id=model)  # fmt: skip
            task_id = escrow.post(wallets[req], terms)
            provider = actors[prov]
            self._expect(req != prov, lambda: escrow.accept(provider, task_id))
            if req == prov or end == "expire":
                return
            if gated:
                if end == "replay" and self.proofs:
                    proof, instances = self.proofs[0]
                    self._expect(
                        False, lambda: escrow.deliver_with_proof(provider, task_id, "r", proof, instances)
                    )
                    return
                instances = [next(fresh), 7]
                proof = attest(instances)
                escrow.deliver_with_proof(provider, task_id, "bafkreiproven", proof, instances)
                self.proofs.append((proof, instances))
                agent_id = int(chain.call(registry.contract.functions.agentOfWallet(provider.address)))
                if agent_id and end == "approve":  # its owner records the validation at once
                    self._validate(agent_id, task_id)
                return
            escrow.deliver(provider, task_id, "bafkreiresult")
            if end == "split":
                escrow.reject(actors[req], task_id)
                escrow.resolve(arbiter, task_id, min(share, budget))
            elif end == "approve":
                escrow.approve(actors[req], task_id)

        @precondition(lambda self: len(self._tasks()) > 0)
        @rule(
            pick=st.integers(0, 63),
            side=st.sampled_from(["requester", "provider", "anyone"]),
            who=st.integers(0, 5),
            score=st.integers(0, 100),
        )
        def feedback(self, pick: int, side: str, who: int, score: int) -> None:
            task_id = self._tasks()[pick % len(self._tasks())]
            requester, provider, paid, _ = settled(task_id)
            rater = {"requester": requester, "provider": provider}.get(side, actors[who].address)
            who = next((i for i, a in enumerate(actors) if a.address == rater), who)
            rated = provider if rater == requester else requester if rater == provider else None
            rated_owner = owner_of_wallet(rated) if rated else None
            rater_owner = owner_of_wallet(rater)
            ok = (
                paid > 0
                and rated_owner is not None
                and not chain.call(registry.contract.functions.feedbackGiven(task_id, rater))
                and rater != rated_owner
                and rater_owner not in (rated_owner, rated)
            )
            why = (task_id, requester, provider, paid, rater, rated_owner, rater_owner)
            self._expect(ok, lambda: registry.give_feedback(actors[who], task_id, score), why)

        @precondition(lambda self: len(self._tasks()) > 0 and len(self._agents()) > 0)
        @rule(agent_pick=st.integers(0, 63), task_pick=st.integers(0, 63), own=st.booleans())
        def validate(self, agent_pick: int, task_pick: int, own: bool) -> None:
            task_id = self._tasks()[task_pick % len(self._tasks())]
            agent_id = self._agents()[agent_pick % len(self._agents())]
            if own:  # usually the task's own provider's agent; else anyone's (an adversary's)
                agent_id = (
                    int(chain.call(registry.contract.functions.agentOfWallet(settled(task_id)[1])))
                    or agent_id
                )
            self._validate(agent_id, task_id)

        def _validate(self, agent_id: int, task_id: int) -> None:
            rec = registry.get(agent_id)
            _, provider, paid, block = settled(task_id)
            owner = next(a for a in actors if a.address == rec.owner)
            done = chain.call(registry.contract.functions.validated(task_id))
            ok = paid > 0 and provider == rec.wallet and block != 0 and not done
            self._expect(ok, lambda: registry.record_validation(owner, agent_id, task_id))

        @precondition(lambda self: len(self._tasks()) > 0)
        @rule(pick=st.integers(0, 63))
        def settle_expired(self, pick: int) -> None:
            task_id = self._tasks()[pick % len(self._tasks())]
            for exit_ in (escrow.refund, escrow.claim):  # deadline exits, open to anyone
                try:
                    exit_(arbiter, task_id)
                except TransactionReverted:
                    continue

        @rule(seconds=st.sampled_from([30, 120]))
        def wait(self, seconds: int) -> None:
            chain.rpc("evm_increaseTime", [seconds])
            chain.rpc("evm_mine", [])

        @invariant()
        def no_funds_locked_or_lost(self) -> None:
            open_budgets = sum(
                escrow.task(i).budget for i in self._tasks() if escrow.task(i).status.holds_funds
            )
            assert escrow.balance() == open_budgets == escrow.total_escrowed()
            assert sum(balance(p.address) for p in people) + escrow.balance() == self.total

        @invariant()
        def reputation_only_from_paid_tasks(self) -> None:
            seen: set[tuple[int, str]] = set()
            validated: set[int] = set()
            for agent_id in self._agents():
                rec, entries = registry.get(agent_id), registry.feedback(agent_id)
                assert rec.feedback_count == len(entries)
                assert rec.paid_volume == sum(f.amount for f in entries)
                assert rec.counterparties == len({f.author for f in entries})
                for f in entries:
                    requester, provider, paid, _ = settled(f.task_id)
                    assert paid > 0 and f.amount == paid and f.author in (requester, provider)
                    assert (f.task_id, f.author) not in seen
                    seen.add((f.task_id, f.author))
                for v in registry.validations(agent_id):
                    _, _, paid, block = settled(v.task_id)
                    assert paid > 0 and block == v.verified_block != 0 and v.task_id not in validated
                    validated.add(v.task_id)
                    assert registry.check_validation(v)

    examples = int(os.environ.get("AGENTS_STATEFUL_EXAMPLES", "10"))
    RegistryMachine.TestCase.settings = settings(
        max_examples=examples, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )  # fmt: skip
    RegistryMachine.TestCase().runTest()
