"""Attacks on AgentRegistry, run for real against the system contracts on the local node.

Attack 2 (issue 12): registering someone else's wallet. A wallet now joins an agent only as the
caller or with its own EIP-712 consent naming the owner, the agent, a nonce and a deadline.
Attack 3: reputation bought by trading with yourself. Same-owner trades cannot be rated, and the
reputation users see is weighted by money paid and distinct counterparties, so a sybil ring
that trades tiny amounts stays at the neutral prior.
Attack 7: validations that point at nothing. ``recordValidation`` now takes only a task id and
copies the inference the escrow verified for it; a task paid without a proof has none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.agents import (
    AgentRegistry,
    AgentWallet,
    SpendPolicy,
    TaskEscrow,
    TaskTerms,
    sign_wallet_consent,
)
from aiweb3.agents.registry import PRIOR_SCORE
from aiweb3.chain import Chain
from aiweb3.crypto.typed_data import Domain
from aiweb3.errors import InputError, TransactionReverted

pytestmark = pytest.mark.usefixtures("chain_isolation")


def _card(name: str) -> dict[str, object]:
    return {"name": name, "capabilities": ["inference"], "endpoint": f"http://{name}.example",
            "payment_schemes": ["escrow"]}  # fmt: skip


@pytest.fixture(scope="module")
def registry(chain: Chain, aiweb3_home: Path) -> AgentRegistry:
    return AgentRegistry.from_home(chain, aiweb3_home)


@pytest.fixture(scope="module")
def escrow(chain: Chain, aiweb3_home: Path) -> TaskEscrow:
    return TaskEscrow.from_home(chain, aiweb3_home)


def _paid_task(escrow: TaskEscrow, requester: LocalAccount, provider: LocalAccount, budget: int) -> int:
    policy = SpendPolicy(10**9, 10**10).allowing(
        tokens=[escrow.token.address], contracts=[escrow.address], counterparties=[provider.address]
    )
    task_id = escrow.post(
        AgentWallet(requester, policy), TaskTerms(budget, "0x" + "44" * 20, provider=provider.address)
    )
    escrow.accept(provider, task_id)
    escrow.deliver(provider, task_id, "bafkreiwork")
    escrow.approve(requester, task_id)
    return task_id


def _revert(call: object) -> str:
    with pytest.raises(TransactionReverted) as info:
        call()  # type: ignore[operator]
    return str(info.value.error_name)


def test_nobody_registers_someone_elses_wallet(
    chain: Chain, registry: AgentRegistry, escrow: TaskEscrow, accounts: list[LocalAccount]
) -> None:
    victim, attacker, operator, client = accounts[0], accounts[1], accounts[2], accounts[3]
    register = registry.contract.functions.register
    deadline = chain.block_time() + 600

    def squat(signature: bytes, until: int) -> str:
        return _revert(
            lambda: chain.transact(attacker, register(victim.address, '{"n":1}', until, signature))
        )

    # the original attack: the attacker's card, the victim's wallet, no consent
    assert squat(b"", deadline) == "BadWalletSignature"
    # ... a consent the attacker signed himself
    forged = sign_wallet_consent(
        attacker, registry.domain, attacker.address, agent_id=0, nonce=0, deadline=deadline
    )
    assert squat(forged.signature, deadline) == "BadWalletSignature"
    # ... or the victim's real consent for its own operator, replayed by the attacker
    for_operator = registry.wallet_consent(victim, operator.address)
    assert squat(for_operator.signature, for_operator.deadline) == "BadWalletSignature"
    with pytest.raises(InputError, match="names owner"):
        registry.register(attacker, _card("squatter"), for_operator)
    # ... or a consent signed for another registry (EIP-712 domain) or one that expired
    elsewhere = Domain("AgentRegistry", "1", chain.chain_id, escrow.address)
    other = sign_wallet_consent(victim, elsewhere, operator.address, agent_id=0, nonce=0, deadline=deadline)
    assert _revert(lambda: registry.register(operator, _card("operated"), other)) == "BadWalletSignature"
    expired = registry.wallet_consent(victim, operator.address, valid_for=5)
    chain.rpc("evm_increaseTime", [60])
    chain.rpc("evm_mine", [])
    assert _revert(lambda: registry.register(operator, _card("operated"), expired)) == "ConsentExpired"
    assert registry.by_wallet(victim.address) is None

    # the victim registers; the feedback it earns lands on its own agent
    victim_agent = registry.register(victim, _card("victim"))
    task = _paid_task(escrow, client, victim, 2_000_000)
    registry.give_feedback(client, task, 90)
    assert [f.task_id for f in registry.feedback(victim_agent)] == [task]

    # a consent is used once (nonce) and binds the owner; transfer drops the wallet
    chain.transact(victim, registry.contract.functions.unsetAgentWallet(victim_agent))
    consent = registry.wallet_consent(victim, operator.address)
    operated = registry.register(operator, _card("operated"), consent)
    assert registry.get(operated).wallet == victim.address
    chain.transact(victim, registry.contract.functions.unsetAgentWallet(operated))  # the wallet leaves
    assert _revert(lambda: registry.register(operator, _card("again"), consent)) == "BadWalletSignature"
    registry.set_wallet(
        operator, operated, registry.wallet_consent(victim, operator.address, agent_id=operated)
    )
    chain.transact(operator, registry.contract.functions.transferOwnership(operated, attacker.address))
    assert registry.get(operated).wallet is None and registry.by_wallet(victim.address) is None
    take_back = lambda: chain.transact(  # noqa: E731
        attacker, registry.contract.functions.setAgentWallet(operated, victim.address, deadline, b"")
    )
    assert _revert(take_back) == "BadWalletSignature"
    registry.set_wallet(attacker, operated)  # the new owner may point it at its own address
    assert registry.get(operated).wallet == attacker.address


def test_reputation_cannot_be_bought_by_trading_with_yourself(
    chain: Chain, registry: AgentRegistry, escrow: TaskEscrow, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    """One account trading with itself is refused by the escrow (test_escrow_attacks.py); here:
    one owner's two agents, then a sybil key the chain cannot tie to the owner."""
    owner, client, honest = accounts[5], accounts[6], accounts[7]
    # one owner, two agents: its own address and a second wallet that consented
    second = Account.create()
    chain.set_balance(second.address, 10**18)
    chain.transact(owner, aiusd.functions.transfer(second.address, 10_000_000))
    first_agent = registry.register(owner, _card("first"))
    second_agent = registry.register(owner, _card("second"), registry.wallet_consent(second, owner.address))
    task = _paid_task(escrow, second, owner, 1_000_000)  # the second agent hires the first
    assert _revert(lambda: registry.give_feedback(second, task, 100)) == "SelfDealing"
    assert _revert(lambda: registry.give_feedback(owner, task, 100)) == "SelfDealing"
    assert registry.get(first_agent).feedback_count == registry.get(second_agent).feedback_count == 0

    # a sybil: a fresh key the chain cannot tie to the owner, five 1-unit tasks rated 100
    sybil = Account.create()
    chain.set_balance(sybil.address, 10**18)
    chain.transact(owner, aiusd.functions.transfer(sybil.address, 5))
    for _ in range(5):
        registry.give_feedback(sybil, _paid_task(escrow, sybil, owner, 1), 100)
    bought = registry.get(first_agent)
    assert bought.feedback_count == 5 and bought.mean_score == 100.0
    assert bought.counterparties == 1 and bought.paid_volume == 5
    assert PRIOR_SCORE < bought.reputation < PRIOR_SCORE + 0.01  # 5 units barely move the prior

    # an honest agent, one real client paying 3 AIUSD and rating 90, ranks above the sybil's
    honest_agent = registry.register(honest, _card("honest"))
    registry.give_feedback(client, _paid_task(escrow, client, honest, 3_000_000), 90)
    ranked = [r.agent_id for r in registry.search("inference")]
    assert ranked.index(honest_agent) < ranked.index(first_agent)
    assert registry.get(honest_agent).reputation == pytest.approx((2 * 90 + PRIOR_SCORE) / 3)


def test_a_validation_needs_an_inference_the_escrow_verified(
    chain: Chain, registry: AgentRegistry, escrow: TaskEscrow, accounts: list[LocalAccount]
) -> None:
    client, provider, other = accounts[0], accounts[1], accounts[2]
    agent = registry.register(provider, _card("provider"))
    plain = _paid_task(escrow, client, provider, 1_000)  # paid on the requester's approval, no proof
    assert _revert(lambda: registry.record_validation(provider, agent, plain)) == "NoVerifiedInference"
    someone_elses = _paid_task(escrow, client, other, 1_000)
    assert _revert(lambda: registry.record_validation(provider, agent, someone_elses)) == "NotTaskProvider"
    policy = SpendPolicy(10**9, 10**10).allowing(
        tokens=[escrow.token.address], contracts=[escrow.address], counterparties=[provider.address]
    )
    unpaid = escrow.post(
        AgentWallet(client, policy), TaskTerms(1_000, other.address, provider=provider.address)
    )
    assert _revert(lambda: registry.record_validation(provider, agent, unpaid)) == "TaskNotPaid"
    assert _revert(lambda: registry.record_validation(provider, agent, 10**9)) == "UnknownTask"
    assert registry.validations(agent) == []
